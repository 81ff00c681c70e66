import { createHash } from 'node:crypto';
import * as path from 'node:path';
import {
  maskUrlPassword,
  type EnvironmentBuildSpec,
  type PythonEnvironment,
  type WorkspaceSettings,
} from '../core/environments.js';

/**
 * What a host needs to build `environment` with the index `settings` name, and its hash: the same
 * interpreter, requirements, indexes and generation give the same directory on every host, and a
 * change to any of them (or a reset) a new one. Index URLs have their credentials masked: the
 * spec is stored with the run, readable by all who read runs (the run's secretEnv carries them,
 * `indexCredentialVariables`), and the hash must not be a way to guess a password.
 */
export function environmentBuildSpec(
  environment: PythonEnvironment,
  settings: WorkspaceSettings,
): EnvironmentBuildSpec {
  const built = {
    interpreter: environment.interpreter,
    requirements: environment.requirements,
    indexUrl: settings.pythonIndexUrl === null ? null : maskUrlPassword(settings.pythonIndexUrl),
    extraIndexUrls: settings.pythonExtraIndexUrls.map(maskUrlPassword),
    trustedHosts: settings.pythonTrustedHosts,
  };
  const hash = createHash('sha256')
    .update(JSON.stringify({ ...built, generation: environment.generation }))
    .digest('hex')
    .slice(0, 24);
  return { name: environment.name, ...built, hash };
}

/** Where a host keeps its copy of an environment: `<environmentsDir>/<hash>`. */
export function environmentDir(environmentsDir: string, hash: string): string {
  return path.join(environmentsDir, hash);
}
