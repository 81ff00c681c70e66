import type { Environments } from '../../app/environments.js';
import { SETTING_KEYS, type SettingsChange, type SettingsView } from '../../core/environments.js';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import type { RetentionPolicy } from '../../core/retention.js';
import { printable } from '../format.js';

/**
 * `stepflow settings show|set|unset` (docs/WORKSPACE-ENVIRONMENTS.md), on the data dir or
 * database through the application layer, as `stepflow users` is. Keys: `pythonIndexUrl`,
 * `pythonExtraIndexUrls` and `pythonTrustedHosts` (comma-separated), `env.NAME`, `retention.LIMIT`.
 */
export async function settingsShowCommand(
  environments: Environments,
  options: { json?: boolean },
): Promise<number> {
  const settings = await environments.settings();
  if (options.json) {
    process.stdout.write(`${JSON.stringify(settings, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `pythonIndexUrl        ${settings.pythonIndexUrl ?? '(pip default)'}`,
    `pythonExtraIndexUrls  ${settings.pythonExtraIndexUrls.join(',') || '-'}`,
    `pythonTrustedHosts    ${settings.pythonTrustedHosts.join(',') || '-'}`,
    `defaultTimeoutSeconds ${settings.defaultTimeoutSeconds ?? '-'}`,
    ...Object.entries(settings.retention).map(([limit, value]) => {
      const fromEnvironment = settings.retentionFromEnvironment[limit as keyof RetentionPolicy];
      return `retention.${limit}=${value}${fromEnvironment === undefined ? '' : ` (the environment's ${fromEnvironment} wins)`}`;
    }),
    ...Object.entries(settings.env).map(([name, value]) => `env.${name}=${printable(value)}`),
    ...settings.secretEnvNames.map((name) => `secretEnv.${name}=***`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

export async function settingsSetCommand(
  environments: Environments,
  key: string,
  value: string | undefined,
): Promise<number> {
  const current = await environments.settings();
  await environments.updateSettings(changeOf(current, key, value));
  process.stdout.write(value === undefined ? `unset ${key}\n` : `set ${key}\n`);
  return 0;
}

/**
 * `stepflow settings set-secret NAME`: the value from stdin, never an argument (which `ps` and
 * shell histories show); one line, its newline dropped. Only the name is printed.
 */
export async function settingsSetSecretCommand(environments: Environments, name: string): Promise<number> {
  if (process.stdin.isTTY) {
    throw new StepflowError(
      ERROR_CODES.USAGE,
      `write the value of ${name} to stdin (e.g. printf %s "$VALUE" | stepflow settings set-secret ${name})`,
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const value = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  await environments.updateSettings({ secretEnv: { [name]: value } });
  process.stdout.write(`set secretEnv.${name}\n`);
  return 0;
}

export async function settingsUnsetSecretCommand(environments: Environments, name: string): Promise<number> {
  const { secretEnvNames } = await environments.settings();
  if (!secretEnvNames.includes(name)) {
    throw new StepflowError(
      ERROR_CODES.NOT_FOUND,
      `no secret variable ${JSON.stringify(name)} in the settings`,
    );
  }
  await environments.updateSettings({ secretEnv: { [name]: null } });
  process.stdout.write(`unset secretEnv.${name}\n`);
  return 0;
}

/** The change `set KEY VALUE` (or `unset KEY`, value undefined) makes. */
function changeOf(current: SettingsView, key: string, value: string | undefined): SettingsChange {
  if (key.startsWith('retention.')) {
    const limit = key.slice('retention.'.length);
    const { [limit as keyof RetentionPolicy]: _dropped, ...others } = current.retention;
    if (value !== undefined && !/^\d+(\.\d+)?$/.test(value)) {
      throw new StepflowError(ERROR_CODES.USAGE, `${key}: ${JSON.stringify(value)} is not a number`);
    }
    // An unknown limit passes here for the settings check to refuse, naming the limits.
    return { retention: value === undefined ? others : { ...others, [limit]: Number(value) } };
  }
  if (key.startsWith('env.')) {
    const { [key.slice(4)]: _dropped, ...others } = current.env;
    return { env: value === undefined ? others : { ...others, [key.slice(4)]: value } };
  }
  const list = (text: string | undefined): string[] =>
    (text ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  switch (key) {
    case 'pythonIndexUrl':
      return { pythonIndexUrl: value ?? null };
    case 'pythonExtraIndexUrls':
      return { pythonExtraIndexUrls: list(value) };
    case 'pythonTrustedHosts':
      return { pythonTrustedHosts: list(value) };
    case 'defaultTimeoutSeconds':
      if (value !== undefined && !/^\d+$/.test(value)) {
        throw new StepflowError(
          ERROR_CODES.USAGE,
          `defaultTimeoutSeconds: ${JSON.stringify(value)} is not a number of seconds`,
        );
      }
      // 0 passes here for the settings check to refuse, with the API's message.
      return { defaultTimeoutSeconds: value === undefined ? null : Number(value) };
    default:
      throw new StepflowError(
        ERROR_CODES.USAGE,
        `unknown setting ${JSON.stringify(key)}: use ${SETTING_KEYS.join(', ')}, env.NAME or retention.LIMIT (secrets: set-secret NAME)`,
      );
  }
}
