import path from 'node:path';
import { validationError } from './core/errors.js';

/** Settings read from the environment, validated once at start. */
export interface StepflowConfig {
  /** Data dir: SQLite database and artifact copies. */
  dataDir: string;
  /** Extra roots artifacts may be collected from, besides each execution's working directory. */
  artifactRoots: string[];
  maxConcurrent: number;
  /** Time between SIGTERM and SIGKILL when stopping a process tree. */
  killGraceMs: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): StepflowConfig {
  return {
    dataDir: path.resolve(cwd, env.STEPFLOW_STORAGE_PATH || 'stepflow-data'),
    artifactRoots: (env.STEPFLOW_ARTIFACT_ROOTS ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((root) => path.resolve(cwd, root)),
    maxConcurrent: positiveInt(env, 'MAX_CONCURRENT_TASKS', 50),
    killGraceMs: positiveInt(env, 'STEPFLOW_KILL_GRACE_MS', 5000),
  };
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw validationError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}
