import type { RunSpec } from '../model.js';

/**
 * Names of env variables whose values are masked in the log without being declared secret:
 * case-insensitive globs (`*` any run of characters, `?` one character) matched against the
 * whole name. `STEPFLOW_SECRET_ENV_PATTERNS` replaces the list.
 */
export const DEFAULT_SECRET_ENV_PATTERNS: readonly string[] = [
  '*TOKEN*',
  '*SECRET*',
  '*PASSWORD*',
  '*PASSWD*',
  '*_KEY',
  '*APIKEY*',
  '*CREDENTIAL*',
  '*PRIVATE*',
];

/**
 * The patterns `STEPFLOW_SECRET_ENV_PATTERNS` gives (comma-separated): the defaults when unset or
 * blank, none for `none`.
 */
export function secretEnvPatterns(setting: string | undefined): string[] {
  if (setting === undefined || setting.trim() === '') return [...DEFAULT_SECRET_ENV_PATTERNS];
  if (setting.trim().toLowerCase() === 'none') return [];
  return setting
    .split(',')
    .map((pattern) => pattern.trim())
    .filter(Boolean);
}

/** True for a name that one of `patterns` matches. */
export function secretNameMatcher(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => false;
  const globs = patterns.map((p) =>
    p
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')))
      .join(''),
  );
  const re = new RegExp(`^(?:${globs.join('|')})$`, 'is');
  return (name) => re.test(name);
}

/**
 * The values a run masks from its first line: every `secretEnv` value, and the `env` values
 * whose names match `patterns`.
 */
export function runSecrets(spec: Pick<RunSpec, 'env' | 'secretEnv'>, patterns: readonly string[]): string[] {
  const isSecret = secretNameMatcher(patterns);
  const secrets = Object.values(spec.secretEnv ?? {});
  for (const [name, value] of Object.entries(spec.env ?? {})) if (isSecret(name)) secrets.push(value);
  return secrets;
}
