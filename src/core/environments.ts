import { validationError } from './errors.js';
import { MAX_TIMEOUT_SECONDS } from './input-limits.js';
import { checkRetentionPolicy, type RetentionPolicy } from './retention.js';

/**
 * Python environments and the workspace settings they use (docs/WORKSPACE-ENVIRONMENTS.md). An
 * environment is a named spec (interpreter + requirements); each host that runs a job in it builds
 * its own copy under its data dir, keyed by the hash of the spec and the package index settings.
 */

/**
 * `new`: never built; `building`: a build execution is under way (or was, when StepFlow stopped:
 * `reset` clears it); `ready` / `failed`: how the last build ended.
 */
export const ENVIRONMENT_STATES = ['new', 'building', 'ready', 'failed'] as const;
export type EnvironmentState = (typeof ENVIRONMENT_STATES)[number];

/** A saved environment. */
export interface PythonEnvironment {
  name: string;
  /** `python3`, `python3.11` (on the host's PATH), or `conda:3.11` / `micromamba:3.11`. */
  interpreter: string;
  /** requirements.txt lines (`requests==2.31.0`), in order. */
  requirements: string[];
  state: EnvironmentState;
  /** Bumped by `reset`: part of the hash, so every host builds a fresh copy afterwards. */
  generation: number;
  /** The execution of the last build started through `build`; null before the first. */
  lastBuildId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Global settings (admins edit, everyone signed in reads). */
export interface WorkspaceSettings {
  /** The Python package index (a PyPI mirror) every environment build installs from; null: pip's default. */
  pythonIndexUrl: string | null;
  /** More indexes pip may use (`--extra-index-url`). */
  pythonExtraIndexUrls: string[];
  /** Hosts pip trusts without TLS checks (`--trusted-host`): an internal mirror over plain HTTP. */
  pythonTrustedHosts: string[];
  /** Variables every run gets; a run's own `env` wins. Not secret: shown to every signed-in user. */
  env: Record<string, string>;
  /**
   * Secret variables every run gets as its `secretEnv` (masked in its log); a run's own `env` or
   * `secretEnv` of the same name wins. Values sealed at rest (docs/SECRETS.md); never shown.
   */
  secretEnv: Record<string, string>;
  /** Seconds a run without a timeout of its own gets when it is submitted; null: none. */
  defaultTimeoutSeconds: number | null;
  /**
   * The global retention policy's defaults (docs/RETENTION.md): a limit the server's environment
   * sets (`STEPFLOW_RETENTION_*`) wins over the same limit here; `{}` keeps everything.
   */
  retention: RetentionPolicy;
}

export const EMPTY_SETTINGS: WorkspaceSettings = {
  pythonIndexUrl: null,
  pythonExtraIndexUrls: [],
  pythonTrustedHosts: [],
  env: {},
  secretEnv: {},
  defaultTimeoutSeconds: null,
  retention: {},
};

/**
 * The settings as callers read them (API, CLI): secret values reduced to their names, and the
 * password of an index URL masked (`https://user:***@host/`).
 */
export interface SettingsView extends Omit<WorkspaceSettings, 'secretEnv'> {
  secretEnvNames: string[];
  /** The retention limits the server's environment sets (`STEPFLOW_RETENTION_*`): they win. */
  retentionFromEnvironment: RetentionPolicy;
}

/**
 * A change to the settings: each field given replaces the stored one (`env` as a whole map),
 * except `secretEnv`, merged by name (a value sets, null removes, absent names stay) since its
 * values cannot be read back to send them again.
 */
export interface SettingsChange extends Partial<Omit<WorkspaceSettings, 'secretEnv'>> {
  secretEnv?: Record<string, string | null>;
}

/** What an index URL's password shows as: readers see that there is one, not what it is. */
const MASKED_PASSWORD = '***';

/**
 * `url` with its credentials masked: the password as {@link MASKED_PASSWORD} (`user:***@`), or a
 * user name without password (a token in that place) as `***@`. Not a URL: as it is.
 */
export function maskUrlPassword(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (parsed.password !== '') parsed.password = MASKED_PASSWORD;
  else if (parsed.username !== '') parsed.username = MASKED_PASSWORD;
  else return url;
  return parsed.toString();
}

/**
 * The variables a run in an environment gets (in its `secretEnv`: sealed in its stored spec,
 * masked in its log) with the index URLs whose credentials its `pythonEnvironment` masks; the
 * wrapper that builds the environment reads them and keeps them from the run's own command.
 */
export const INDEX_URL_VARIABLE = 'STEPFLOW_PIP_INDEX_URL';
export const EXTRA_INDEX_URLS_VARIABLE = 'STEPFLOW_PIP_EXTRA_INDEX_URLS';

export function indexCredentialVariables(settings: WorkspaceSettings): Record<string, string> {
  const hasCredentials = (url: string) => maskUrlPassword(url) !== url;
  const { pythonIndexUrl: index, pythonExtraIndexUrls: extra } = settings;
  return {
    ...(index !== null && hasCredentials(index) ? { [INDEX_URL_VARIABLE]: index } : {}),
    ...(extra.some(hasCredentials) ? { [EXTRA_INDEX_URLS_VARIABLE]: JSON.stringify(extra) } : {}),
  };
}

/** The settings as {@link SettingsView}: what may be shown to everyone signed in. */
export function settingsView(
  settings: WorkspaceSettings,
  retentionFromEnvironment: RetentionPolicy = {},
): SettingsView {
  const { secretEnv, ...rest } = settings;
  return {
    ...rest,
    retentionFromEnvironment,
    pythonIndexUrl: settings.pythonIndexUrl === null ? null : maskUrlPassword(settings.pythonIndexUrl),
    pythonExtraIndexUrls: settings.pythonExtraIndexUrls.map(maskUrlPassword),
    secretEnvNames: Object.keys(secretEnv).sort(),
  };
}

/**
 * An index URL given back as it was shown (its password masked) means "keep the stored one": a
 * form sends every field, and it never had the password. Any other URL is taken as given.
 */
export function keepMaskedPassword(given: string, stored: readonly (string | null)[]): string {
  const same = stored.find((url) => url !== null && url !== given && maskUrlPassword(url) === given);
  return same ?? given;
}

/**
 * What a host needs to build (or find) an environment, resolved when the run is submitted and
 * carried in its spec, so a worker needs no database: the spec, the index settings and their hash.
 */
export interface EnvironmentBuildSpec {
  name: string;
  interpreter: string;
  requirements: string[];
  indexUrl: string | null;
  extraIndexUrls: string[];
  trustedHosts: string[];
  /** Hex digest of all of the above but the name, and the generation: the directory `envs/<hash>/`. */
  hash: string;
}

/** The interpreter forms: a python on PATH, or a Python version conda/micromamba installs. */
const INTERPRETER = /^(python3(\.\d{1,2})?|(conda|micromamba):3\.\d{1,2})$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_REQUIREMENTS = 500;
const MAX_LINE = 1000;

/** Whether `name` can name an environment (it may still not exist). */
export function isEnvironmentName(name: string): boolean {
  return NAME.test(name);
}

export function checkEnvironmentName(name: string): string {
  if (!isEnvironmentName(name)) {
    throw validationError(
      `environment name ${JSON.stringify(name)}: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      { field: 'name' },
    );
  }
  return name;
}

export function checkInterpreter(interpreter: string): string {
  if (!INTERPRETER.test(interpreter)) {
    throw validationError(
      `interpreter ${JSON.stringify(interpreter)}: use python3, python3.<minor> (e.g. python3.11), conda:3.<minor> or micromamba:3.<minor>`,
      { field: 'interpreter' },
    );
  }
  return interpreter;
}

/**
 * Requirement lines as pip reads them, one package each. Options (`-e`, `--index-url`, `-r`) are
 * refused: the index comes from the settings, and an option could point pip elsewhere.
 */
export function checkRequirements(requirements: readonly string[]): string[] {
  if (requirements.length > MAX_REQUIREMENTS) {
    throw validationError(`at most ${MAX_REQUIREMENTS} requirements`, { field: 'requirements' });
  }
  return requirements.map((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.length > MAX_LINE || /[\r\n]/.test(trimmed) || trimmed.startsWith('-')) {
      throw validationError(
        `requirements[${i}] ${JSON.stringify(line)}: one package requirement (e.g. "requests==2.31.0"), not empty, not an option`,
        { field: `requirements.${i}` },
      );
    }
    return trimmed;
  });
}

function checkUrl(url: string, field: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw validationError(`${field}: ${JSON.stringify(url)} is not a URL`, { field });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw validationError(`${field}: ${JSON.stringify(url)} must be an http or https URL`, { field });
  }
  return url;
}

/** Checks every field of a settings document (the whole of it, as it will be stored). */
export function checkSettings(settings: WorkspaceSettings): WorkspaceSettings {
  if (settings.pythonIndexUrl !== null) checkUrl(settings.pythonIndexUrl, 'pythonIndexUrl');
  settings.pythonExtraIndexUrls.forEach((url, i) => checkUrl(url, `pythonExtraIndexUrls.${i}`));
  settings.pythonTrustedHosts.forEach((host, i) => {
    if (!/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host)) {
      throw validationError(`pythonTrustedHosts.${i}: ${JSON.stringify(host)} is not a host[:port]`, {
        field: `pythonTrustedHosts.${i}`,
      });
    }
  });
  for (const field of ['env', 'secretEnv'] as const) {
    for (const name of Object.keys(settings[field])) {
      // STEPFLOW_* are StepFlow's own (the run's id, its output files): a setting must not shadow them.
      if (!ENV_NAME.test(name) || name.startsWith('STEPFLOW_')) {
        throw validationError(
          `${field}.${name}: a variable name is letters, digits and '_', not starting with a digit or STEPFLOW_`,
          { field: `${field}.${name}` },
        );
      }
    }
  }
  for (const name of Object.keys(settings.secretEnv)) {
    // One name, one value: which of the two a run would get is not worth a rule.
    if (name in settings.env) {
      throw validationError(`secretEnv.${name}: ${name} is also a global variable (env): remove one`, {
        field: `secretEnv.${name}`,
      });
    }
  }
  const timeout = settings.defaultTimeoutSeconds;
  if (timeout !== null && (!Number.isSafeInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_SECONDS)) {
    throw validationError(
      `defaultTimeoutSeconds: ${JSON.stringify(timeout)} is not a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS} (null: none)`,
      { field: 'defaultTimeoutSeconds' },
    );
  }
  checkRetentionPolicy(settings.retention, (limit) => `retention.${limit}`);
  return settings;
}

/** The settings keys `stepflow settings set|unset` takes (`env.NAME` for a variable). */
export const SETTING_KEYS = [
  'pythonIndexUrl',
  'pythonExtraIndexUrls',
  'pythonTrustedHosts',
  'defaultTimeoutSeconds',
] as const;

/**
 * A run's environment variables with the global ones under them: the run's own win, and a
 * secret variable of the run hides a global one of the same name.
 */
export function withGlobalEnv(
  own: Record<string, string> | undefined,
  secret: Record<string, string> | undefined,
  global: Record<string, string>,
): Record<string, string> | undefined {
  const inherited = Object.entries(global).filter(([name]) => secret?.[name] === undefined);
  if (inherited.length === 0) return own;
  return { ...Object.fromEntries(inherited), ...own };
}

/**
 * The global secret variables a run gets: all but those its own `env` or `secretEnv` names (the
 * run's win). Undefined when it gets none; the values stay as stored (sealed: the engine opens them).
 */
export function withGlobalSecretEnv(
  own: Record<string, string> | undefined,
  secret: Record<string, string> | undefined,
  global: Record<string, string>,
): Record<string, string> | undefined {
  const inherited = Object.entries(global).filter(
    ([name]) => own?.[name] === undefined && secret?.[name] === undefined,
  );
  if (inherited.length === 0) return secret;
  return { ...Object.fromEntries(inherited), ...secret };
}
