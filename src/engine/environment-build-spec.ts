import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { EnvironmentBuildSpec, PythonEnvironment, WorkspaceSettings } from '../core/environments.js';

/**
 * What a host needs to build `environment` with the index `settings` name, and its hash: the same
 * interpreter, requirements, indexes and generation give the same directory on every host, and a
 * change to any of them (or a reset) a new one.
 */
export function environmentBuildSpec(
  environment: PythonEnvironment,
  settings: WorkspaceSettings,
): EnvironmentBuildSpec {
  const built = {
    interpreter: environment.interpreter,
    requirements: environment.requirements,
    indexUrl: settings.pythonIndexUrl,
    extraIndexUrls: settings.pythonExtraIndexUrls,
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
