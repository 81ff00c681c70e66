import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validationError } from './core/errors.js';
import { secretEnvPatterns } from './core/markers/secret-env.js';
import { checkRunLimits, LOG_LIMIT_POLICIES, parseSize, type RunLimits } from './core/run-limits.js';
import { checkRetentionPolicy, type RetentionPolicy } from './core/retention.js';
import type { ChildEnvironmentPolicy } from './runner/child-environment.js';
import { outputPipeBytes } from './runner/output-pipes.js';
import { parseSecretKey, type SecretKey } from './secrets/secret-key.js';
import { DEFAULT_ARCHIVE_LIMITS, DEFAULT_KEEP_VERSIONS, type ArchiveLimits } from './core/projects.js';

/** Settings read from the environment, validated once at start. */
export interface StepflowConfig {
  /** Data dir: SQLite database and artifact copies. */
  dataDir: string;
  /** Where this host keeps its Python environments; `<dataDir>/envs` when absent (a worker's own data dir). */
  environmentsDir?: string;
  /**
   * Where {@link dataDir} came from: `STEPFLOW_STORAGE_PATH`, the per-user default, or a
   * `./stepflow-data` left by versions before 0.2 (used as it is, with a notice: see README).
   */
  dataDirOrigin: DataDirOrigin;
  /** Extra roots artifacts may be collected from, besides each execution's working directory. */
  artifactRoots: string[];
  maxConcurrent: number;
  /**
   * `MAX_CONCURRENT_TASKS` when set explicitly: also the most runs `running` at once across the
   * database, which claims by workers honour (docs/WORKERS.md). Unset: workers are capped only by
   * their slots, each process's engine by {@link maxConcurrent}.
   */
  clusterMaxRunning?: number;
  /** Time between SIGTERM and SIGKILL when stopping a process tree. */
  killGraceMs: number;
  /** Log output held in memory while the store cannot commit, beyond which the runs printing are stopped. */
  writeBufferBytes: number;
  /** Env names whose values every run masks (`STEPFLOW_SECRET_ENV_PATTERNS`). */
  secretEnvPatterns: string[];
  /**
   * What scripts get of this process's environment: everything for a CLI run (the user's own
   * shell), an allow-list for the server's runs (see {@link forServer}); never StepFlow's own
   * variables nor `STEPFLOW_SERVER_ONLY_ENV`.
   */
  runEnvironment: ChildEnvironmentPolicy;
  /**
   * Log limits of every run that sets none of its own (`STEPFLOW_MAX_LOG_BYTES`,
   * `STEPFLOW_MAX_LOG_LINES`, `STEPFLOW_LOG_LIMIT_POLICY`; docs/LIMITS.md). Empty: unlimited.
   */
  defaultLimits?: RunLimits;
  /**
   * A PostgreSQL database instead of the data dir's SQLite file (`STEPFLOW_DATABASE_URL`, or
   * `--database-url`; docs/POSTGRES.md). Artifact copies stay in {@link dataDir}.
   */
  database?: DatabaseConfig;
  /**
   * Whether this process runs what is submitted to it (default true). `stepflow server --no-runner`:
   * every run waits for a `stepflow worker` (docs/WORKERS.md).
   */
  runsLocally?: boolean;
  /** A worker silent this long loses its runs (`STEPFLOW_WORKER_LEASE_SECONDS`, default 30). */
  workerLeaseMs?: number;
  /**
   * The global retention policy (`STEPFLOW_RETENTION_*`, docs/RETENTION.md); empty: nothing ever
   * expires. A job's own policy replaces it for that job's runs.
   */
  retention?: RetentionPolicy;
  /** Time between two background retention sweeps of a server (`STEPFLOW_RETENTION_SWEEP_MINUTES`, default 10). */
  retentionSweepMs?: number;
  /**
   * The key stored secrets are sealed with (`STEPFLOW_SECRET_KEY`, docs/SECRETS.md); absent: the
   * data dir's key file (SQLite), none on PostgreSQL.
   */
  secretKey?: SecretKey;
  /**
   * A backup of the SQLite data dir before a start migrates its schema (docs/OPERATIONS.md,
   * "Upgrade"): `STEPFLOW_BACKUP_BEFORE_MIGRATE` (default on), into `dir`
   * (`STEPFLOW_BACKUP_BEFORE_MIGRATE_DIR`, default `<dataDir>/backups`), the newest `keep` kept
   * (`STEPFLOW_BACKUP_BEFORE_MIGRATE_KEEP`, default 3). Absent: off.
   */
  backupBeforeMigrate?: { dir?: string; keep: number };
  /**
   * Projects (docs/WORKSPACE.md): what an uploaded archive may hold (`STEPFLOW_PROJECT_MAX_ENTRIES`,
   * `STEPFLOW_PROJECT_MAX_BYTES`, `STEPFLOW_PROJECT_MAX_RATIO`), the largest upload
   * (`STEPFLOW_PROJECT_MAX_UPLOAD_BYTES`, compressed) and the versions kept per project
   * (`STEPFLOW_PROJECT_KEEP_VERSIONS`). Absent: the defaults.
   */
  projects?: ProjectSettings;
}

export interface ProjectSettings {
  limits: ArchiveLimits;
  maxUploadBytes: number;
  keepVersions: number;
}

export const DEFAULT_PROJECT_SETTINGS: ProjectSettings = {
  limits: DEFAULT_ARCHIVE_LIMITS,
  maxUploadBytes: 200 * 1024 * 1024,
  keepVersions: DEFAULT_KEEP_VERSIONS,
};

export interface DatabaseConfig {
  /** `postgres://user:password@host:port/database`: never print it, print `redactDatabaseUrl(url)`. */
  url: string;
  /** Connections this process keeps open at most (`STEPFLOW_DATABASE_POOL_SIZE`, default 10). */
  poolSize: number;
}

type DataDirOrigin = 'env' | 'default' | 'legacy';

/** The data dir of versions before 0.2: relative to wherever the command ran. */
export const LEGACY_DATA_DIR = 'stepflow-data';

/**
 * One data dir per user, whatever folder a command runs in (so `stepflow ls` in any terminal sees
 * the server's runs): `STEPFLOW_STORAGE_PATH`, else `$XDG_DATA_HOME/stepflow`, else
 * `~/.local/share/stepflow`. A `./stepflow-data` with a database in it (the old default) still wins
 * over the per-user default, so no history disappears on upgrade; the CLI then says how to move it.
 */
function resolveDataDir(
  env: NodeJS.ProcessEnv,
  cwd: string,
): { dataDir: string; dataDirOrigin: DataDirOrigin } {
  if (env.STEPFLOW_STORAGE_PATH) {
    return { dataDir: path.resolve(cwd, env.STEPFLOW_STORAGE_PATH), dataDirOrigin: 'env' };
  }
  const legacy = path.resolve(cwd, LEGACY_DATA_DIR);
  if (fs.existsSync(path.join(legacy, 'stepflow.db'))) return { dataDir: legacy, dataDirOrigin: 'legacy' };
  return { dataDir: userDataDir(env), dataDirOrigin: 'default' };
}

/** `$XDG_DATA_HOME/stepflow`, else `~/.local/share/stepflow` (the XDG Base Directory default). */
export function userDataDir(env: NodeJS.ProcessEnv): string {
  // XDG: a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : undefined;
  return path.join(xdg ?? path.join(env.HOME || os.homedir(), '.local', 'share'), 'stepflow');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): StepflowConfig {
  // Read by the runner at each spawn; checked here so a bad value stops the start, not every run.
  outputPipeBytes(env);
  return {
    ...resolveDataDir(env, cwd),
    artifactRoots: (env.STEPFLOW_ARTIFACT_ROOTS ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((root) => path.resolve(cwd, root)),
    maxConcurrent: positiveFromEnv(env, 'MAX_CONCURRENT_TASKS', 50, POSITIVE_INTEGER),
    ...(env.MAX_CONCURRENT_TASKS
      ? { clusterMaxRunning: positiveFromEnv(env, 'MAX_CONCURRENT_TASKS', 50, POSITIVE_INTEGER) }
      : {}),
    killGraceMs: positiveFromEnv(env, 'STEPFLOW_KILL_GRACE_MS', 5000, POSITIVE_INTEGER),
    writeBufferBytes: positiveFromEnv(env, 'STEPFLOW_WRITE_BUFFER_MB', 64, POSITIVE_INTEGER) * 1024 * 1024,
    secretEnvPatterns: secretEnvPatterns(env.STEPFLOW_SECRET_ENV_PATTERNS),
    runEnvironment: {
      inherit: 'all',
      passThrough: nameListFromEnv(env, 'STEPFLOW_ENV_PASSTHROUGH'),
      serverOnly: nameListFromEnv(env, 'STEPFLOW_SERVER_ONLY_ENV'),
    },
    defaultLimits: defaultLimitsFromEnv(env),
    workerLeaseMs:
      positiveFromEnv(env, 'STEPFLOW_WORKER_LEASE_SECONDS', 30, {
        integer: false,
        what: 'a number of seconds above 0',
      }) * 1000,
    ...databaseFromEnv(env),
    retention: retentionFromEnv(env),
    retentionSweepMs:
      positiveFromEnv(env, 'STEPFLOW_RETENTION_SWEEP_MINUTES', 10, {
        integer: false,
        what: 'a number of minutes above 0',
      }) * 60_000,
    ...(env.STEPFLOW_SECRET_KEY
      ? { secretKey: parseSecretKey(env.STEPFLOW_SECRET_KEY, 'STEPFLOW_SECRET_KEY') }
      : {}),
    ...backupBeforeMigrateFromEnv(env, cwd),
    projects: projectSettingsFromEnv(env),
  };
}

/** `STEPFLOW_PROJECT_*`: archive limits, upload size, versions kept (README, docs/WORKSPACE.md). */
function projectSettingsFromEnv(env: NodeJS.ProcessEnv): ProjectSettings {
  const size = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const parsed = parseSize(raw);
    if (parsed === null || parsed <= 0)
      throw validationError(`${name} must be a size (e.g. 100M, 1G), got ${JSON.stringify(raw)}`);
    return parsed;
  };
  const defaults = DEFAULT_PROJECT_SETTINGS;
  return {
    limits: {
      maxEntries: positiveFromEnv(
        env,
        'STEPFLOW_PROJECT_MAX_ENTRIES',
        defaults.limits.maxEntries,
        POSITIVE_INTEGER,
      ),
      maxBytes: size('STEPFLOW_PROJECT_MAX_BYTES', defaults.limits.maxBytes),
      maxRatio: positiveFromEnv(env, 'STEPFLOW_PROJECT_MAX_RATIO', defaults.limits.maxRatio, {
        integer: false,
        what: 'a number above 0',
      }),
    },
    maxUploadBytes: size('STEPFLOW_PROJECT_MAX_UPLOAD_BYTES', defaults.maxUploadBytes),
    keepVersions: positiveFromEnv(
      env,
      'STEPFLOW_PROJECT_KEEP_VERSIONS',
      defaults.keepVersions,
      POSITIVE_INTEGER,
    ),
  };
}

/** `STEPFLOW_BACKUP_BEFORE_MIGRATE` (1 or 0, default 1) and its folder and rotation. */
function backupBeforeMigrateFromEnv(
  env: NodeJS.ProcessEnv,
  cwd: string,
): Pick<StepflowConfig, 'backupBeforeMigrate'> {
  const name = 'STEPFLOW_BACKUP_BEFORE_MIGRATE';
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (!['', '1', 'true', 'yes', '0', 'false', 'no'].includes(raw)) {
    throw validationError(`${name} must be 1 or 0, got ${JSON.stringify(env[name])}`, { field: name });
  }
  if (['0', 'false', 'no'].includes(raw)) return {};
  const dir = env.STEPFLOW_BACKUP_BEFORE_MIGRATE_DIR;
  return {
    backupBeforeMigrate: {
      ...(dir ? { dir: path.resolve(cwd, dir) } : {}),
      keep: positiveFromEnv(env, 'STEPFLOW_BACKUP_BEFORE_MIGRATE_KEEP', 3, POSITIVE_INTEGER),
    },
  };
}

/** The environment variable of each retention limit. */
const RETENTION_VARIABLES: Record<keyof RetentionPolicy, string> = {
  days: 'STEPFLOW_RETENTION_DAYS',
  keepLast: 'STEPFLOW_RETENTION_KEEP_LAST',
  logDays: 'STEPFLOW_RETENTION_LOG_DAYS',
  artifactDays: 'STEPFLOW_RETENTION_ARTIFACT_DAYS',
  failedDays: 'STEPFLOW_RETENTION_FAILED_DAYS',
};

/** `STEPFLOW_RETENTION_DAYS` and its siblings; unset or empty ones are no limit. */
function retentionFromEnv(env: NodeJS.ProcessEnv): RetentionPolicy {
  const policy: RetentionPolicy = {};
  for (const [limit, name] of Object.entries(RETENTION_VARIABLES) as [keyof RetentionPolicy, string][]) {
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (Number.isNaN(value)) {
      throw validationError(`${name} must be a number, got ${JSON.stringify(raw)}`, { field: name });
    }
    policy[limit] = value;
  }
  return checkRetentionPolicy(policy, (limit) => RETENTION_VARIABLES[limit as keyof RetentionPolicy]);
}

/** `STEPFLOW_DATABASE_URL` (and its pool size), or nothing: the SQLite file in the data dir. */
function databaseFromEnv(env: NodeJS.ProcessEnv): { database?: DatabaseConfig } {
  const url = env.STEPFLOW_DATABASE_URL;
  if (url === undefined || url === '') return {};
  return { database: databaseConfig(url, env) };
}

/**
 * A database setting from a URL (the environment's, or `--database-url`): only `postgres://` and
 * `postgresql://` URLs; an error never repeats the URL, which may hold a password.
 */
export function databaseConfig(url: string, env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw validationError(
      'the database URL is not a URL: expected postgres://user:password@host:port/database',
    );
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw validationError(
      `the database URL must start with postgres:// or postgresql://, got ${JSON.stringify(protocol)}`,
    );
  }
  return {
    url,
    poolSize: positiveFromEnv(env, 'STEPFLOW_DATABASE_POOL_SIZE', 10, POSITIVE_INTEGER),
  };
}

/**
 * The server's settings: its runs (API and jobs) get only an allow-list of its environment plus
 * `STEPFLOW_ENV_PASSTHROUGH`, since the server's variables are the operator's, not the scripts'.
 */
export function forServer(config: StepflowConfig): StepflowConfig {
  return { ...config, runEnvironment: { ...config.runEnvironment, inherit: 'allow-list' } };
}

/** `STEPFLOW_MAX_LOG_BYTES` (a size: `100M`, `1G`, bytes without a unit) and its siblings. */
function defaultLimitsFromEnv(env: NodeJS.ProcessEnv): RunLimits {
  const limits: RunLimits = {};
  const bytes = env.STEPFLOW_MAX_LOG_BYTES;
  if (bytes !== undefined && bytes !== '') {
    const parsed = parseSize(bytes);
    if (parsed === null)
      throw validationError(
        `STEPFLOW_MAX_LOG_BYTES must be a size (e.g. 100M, 1G), got ${JSON.stringify(bytes)}`,
      );
    limits.maxLogBytes = parsed;
  }
  const lines = env.STEPFLOW_MAX_LOG_LINES;
  if (lines !== undefined && lines !== '') {
    limits.maxLines = positiveFromEnv(env, 'STEPFLOW_MAX_LOG_LINES', 0, POSITIVE_INTEGER);
  }
  const policy = env.STEPFLOW_LOG_LIMIT_POLICY;
  if (policy !== undefined && policy !== '') {
    if (!(LOG_LIMIT_POLICIES as readonly string[]).includes(policy))
      throw validationError(
        `STEPFLOW_LOG_LIMIT_POLICY must be one of ${LOG_LIMIT_POLICIES.join(', ')}, got ${JSON.stringify(policy)}`,
      );
    limits.logLimitPolicy = policy as RunLimits['logLimitPolicy'];
  }
  return checkRunLimits(limits, 'STEPFLOW');
}

const POSITIVE_INTEGER = { integer: true, what: 'a positive integer' };

/**
 * A number above 0 from the environment, `fallback` when unset or empty; anything else is a
 * `validation_failed` error naming the variable and what it must be (`what`).
 */
export function positiveFromEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  { integer, what }: { integer: boolean; what: string },
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw validationError(`${name} must be ${what}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * A comma-separated list of variable names and globs (`CUDA_*,JAVA_HOME`) from the environment;
 * blanks are ignored, and a name no variable can have is a `validation_failed` error.
 */
function nameListFromEnv(env: NodeJS.ProcessEnv, name: string): string[] {
  const patterns = (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = patterns.find((pattern) => /[=\s]/.test(pattern));
  if (bad !== undefined) {
    throw validationError(
      `${name} must be comma-separated variable names or globs (e.g. CUDA_*,JAVA_HOME), got ${JSON.stringify(bad)}`,
    );
  }
  return patterns;
}
