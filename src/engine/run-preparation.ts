import { indexCredentialVariables, withGlobalEnv, withGlobalSecretEnv } from '../core/environments.js';
import { validationError } from '../core/errors.js';
import type { RunSpec } from '../core/model.js';
import type { EnvironmentStore } from '../store/environment-store.js';
import type { Engine } from './engine.js';
import { environmentBuildSpec } from './environment-build-spec.js';

/**
 * The engine (or worker dispatch) as callers see it, every run completed from the settings when it
 * is submitted: the global variables under its own `env`, the global secret ones (still sealed:
 * the engine opens them like a job's) under its `secretEnv`, the default timeout when it has none
 * of its own, and the Python environment it names resolved into `pythonEnvironment`. So the stored spec says what the run got, and a worker, which
 * has no database, gets it all with its claim.
 */
export function withRunPreparation<E extends Engine>(
  engine: E,
  store: Pick<EnvironmentStore, 'readSettings' | 'getEnvironment'>,
): E {
  const prepare = async (spec: RunSpec): Promise<RunSpec> => {
    const settings = await store.readSettings();
    const env = withGlobalEnv(spec.env, spec.secretEnv, settings.env);
    let secretEnv = withGlobalSecretEnv(spec.env, spec.secretEnv, settings.secretEnv);
    const timeoutSeconds = spec.timeoutSeconds ?? settings.defaultTimeoutSeconds ?? undefined;
    let { pythonEnvironment } = spec;
    if (spec.environment !== undefined) {
      const saved = await store.getEnvironment(spec.environment);
      if (saved !== undefined) {
        pythonEnvironment = environmentBuildSpec(saved, settings);
        // The index credentials its spec masks; the current ones win over a re-run's old ones.
        const credentials = indexCredentialVariables(settings);
        if (Object.keys(credentials).length > 0) secretEnv = { ...secretEnv, ...credentials };
      }
      // A worker's own engine (its spool has no environments) runs the one its claim resolved.
      else if (pythonEnvironment?.name !== spec.environment) {
        throw validationError(`environment ${JSON.stringify(spec.environment)}: no such environment`, {
          field: 'environment',
        });
      }
    }
    return {
      ...spec,
      ...(env === undefined ? {} : { env }),
      ...(secretEnv === undefined ? {} : { secretEnv }),
      ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
      ...(pythonEnvironment === undefined ? {} : { pythonEnvironment }),
    };
  };
  return { ...engine, submit: async (spec, links) => engine.submit(await prepare(spec), links) };
}
