import { rm } from 'node:fs/promises';
import {
  checkEnvironmentName,
  checkInterpreter,
  checkRequirements,
  checkSettings,
  keepMaskedPassword,
  settingsView,
  type PythonEnvironment,
  type SettingsChange,
  type SettingsView,
  type WorkspaceSettings,
} from '../core/environments.js';
import { ERROR_CODES, StepflowError, notFound } from '../core/errors.js';
import type { Execution, RunSpec } from '../core/model.js';
import type { RetentionPolicy } from '../core/retention.js';
import type { Engine } from '../engine/engine.js';
import { environmentBuildSpec, environmentDir } from '../engine/environment-build-spec.js';
import type { SecretKeeper } from '../secrets/secret-keeper.js';
import { recordLocalChange, type Audit } from './audit.js';
import type { EnvironmentStore } from '../store/environment-store.js';

/** What an environment is made of, as a caller gives it. */
interface EnvironmentInput {
  interpreter?: string;
  requirements?: string[];
}

/**
 * Settings and Python environments (docs/WORKSPACE-ENVIRONMENTS.md). Permissions are the
 * server's (settings: admins change, everyone signed in reads; environments: operators change).
 */
export interface Environments {
  /** What everyone signed in may read: secret variables by name, index passwords masked. */
  settings(): Promise<SettingsView>;
  /**
   * Replaces the fields given (`env` as the new map of variables; `secretEnv` merged by name,
   * its values sealed), checked first. An index URL given back masked keeps its stored password.
   */
  updateSettings(change: SettingsChange): Promise<SettingsView>;
  list(): Promise<PythonEnvironment[]>;
  get(name: string): Promise<PythonEnvironment>;
  add(name: string, input: EnvironmentInput): Promise<PythonEnvironment>;
  update(name: string, input: EnvironmentInput): Promise<PythonEnvironment>;
  /** Removes it and this host's copy. Runs naming it are refused from now on. */
  remove(name: string): Promise<void>;
  /**
   * Starts its build as an ordinary execution (its log live and kept, `environment` tag) and
   * marks it `building`; `ready` or `failed` when that run ends.
   */
  build(
    name: string,
    options?: { createdBy?: string },
  ): Promise<{ environment: PythonEnvironment; execution: Execution; done: Promise<Execution> }>;
  /**
   * Clears a stuck `building` (cancelling the build if it still runs), deletes this host's copy and
   * bumps the generation, so every host builds a fresh copy next time.
   */
  reset(name: string): Promise<PythonEnvironment>;
}

export interface EnvironmentsDeps {
  store: EnvironmentStore;
  /** Seals the secret variables before they are stored (docs/SECRETS.md). */
  secrets: Pick<SecretKeeper, 'seal'>;
  /** The engine with run preparation (engine/run-preparation.ts): the build resolves like a run. */
  engine: Pick<Engine, 'submit'>;
  /** Cancels a run wherever it runs (app/executions.ts). */
  cancel: (id: string) => Promise<unknown>;
  /** Where this host keeps its environments (`<dataDir>/envs`). */
  environmentsDir: string;
  /**
   * Given to the CLI's (`stepflow settings …` on the store): each settings change is recorded in
   * the audit log as the CLI's, naming the fields (and secret variables) changed, never a value.
   * The server's routes are recorded by its audit hook instead.
   */
  audit?: Pick<Audit, 'record'>;
  /** The retention limits the server's environment sets (`STEPFLOW_RETENTION_*`), shown beside the settings'. */
  retentionFromEnvironment?: RetentionPolicy;
  /** Says why a build's end could not be recorded (it stays `building` until a reset). */
  onError: (error: unknown) => void;
  now?: () => Date;
}

/** A build prints where the environment is, from its own python: proof that it works. */
const BUILD_ARGV = ['python', '-c', 'import sys; print("environment ready:", sys.prefix)'];

export function createEnvironments(deps: EnvironmentsDeps): Environments {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());
  const get = async (name: string): Promise<PythonEnvironment> => {
    const environment = await store.getEnvironment(name);
    if (environment === undefined) throw notFound('environment', name);
    return environment;
  };
  /** This host's copy of the environment as it is specified now. */
  const removeCopy = async (environment: PythonEnvironment): Promise<void> => {
    const { hash } = environmentBuildSpec(environment, await store.readSettings());
    const dir = environmentDir(deps.environmentsDir, hash);
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}.lock`, { force: true });
  };
  const change = async (name: string, input: EnvironmentInput): Promise<PythonEnvironment> => {
    const updated = await store.updateEnvironment(
      name,
      {
        ...(input.interpreter === undefined ? {} : { interpreter: checkInterpreter(input.interpreter) }),
        ...(input.requirements === undefined ? {} : { requirements: checkRequirements(input.requirements) }),
      },
      now().toISOString(),
    );
    if (updated === undefined) throw notFound('environment', name);
    return updated;
  };

  return {
    settings: async () => settingsView(await store.readSettings(), deps.retentionFromEnvironment),
    async updateSettings(change) {
      const update = async () => {
        const stored = await store.readSettings();
        const settings = checkSettings(applyChange(stored, change));
        const secretEnv = deps.secrets.seal({ secretEnv: settings.secretEnv }).secretEnv ?? {};
        await store.writeSettings({ ...settings, secretEnv });
        return settingsView(settings, deps.retentionFromEnvironment);
      };
      const { audit } = deps;
      if (audit === undefined) return update();
      return recordLocalChange(
        audit,
        { action: 'settings.update', objectKind: 'settings', objectId: changedFields(change) },
        update,
      );
    },
    list: () => store.listEnvironments(),
    get,
    async add(name, input) {
      const at = now().toISOString();
      const environment: PythonEnvironment = {
        name: checkEnvironmentName(name),
        interpreter: checkInterpreter(input.interpreter ?? 'python3'),
        requirements: checkRequirements(input.requirements ?? []),
        state: 'new',
        generation: 0,
        lastBuildId: null,
        createdAt: at,
        updatedAt: at,
      };
      await store.createEnvironment(environment);
      return environment;
    },
    update: change,
    async remove(name) {
      const environment = await get(name);
      await store.deleteEnvironment(name);
      await removeCopy(environment);
    },
    async build(name, options = {}) {
      await get(name);
      const spec: RunSpec = {
        name: `environment ${name}`,
        argv: BUILD_ARGV,
        cwd: '/',
        environment: name,
        tags: { environment: name },
      };
      const { execution, done } = await deps.engine.submit(spec, options);
      const building = await store.updateEnvironment(
        name,
        { state: 'building', lastBuildId: execution.id },
        now().toISOString(),
      );
      if (building === undefined) throw notFound('environment', name);
      // Recorded when the run ends; a reset or newer build meanwhile wins (finishBuild's condition).
      const finished = done.then(async (final) => {
        await store
          .finishBuild(
            name,
            execution.id,
            final.status === 'succeeded' ? 'ready' : 'failed',
            now().toISOString(),
          )
          .catch(deps.onError);
        return final;
      });
      return { environment: building, execution, done: finished };
    },
    async reset(name) {
      const environment = await get(name);
      if (environment.state === 'building' && environment.lastBuildId !== null) {
        // An ended build (or one whose process died with StepFlow) cannot be cancelled: nothing to stop.
        await deps.cancel(environment.lastBuildId).catch((error: unknown) => {
          if (!(error instanceof StepflowError) || error.code !== ERROR_CODES.CONFLICT) throw error;
        });
      }
      await removeCopy(environment);
      const reset = await store.updateEnvironment(
        name,
        { state: 'new', generation: environment.generation + 1 },
        now().toISOString(),
      );
      if (reset === undefined) throw notFound('environment', name);
      return reset;
    },
  };
}

/** `stored` with `change` applied (see {@link Environments.updateSettings}). */
function applyChange(stored: WorkspaceSettings, change: SettingsChange): WorkspaceSettings {
  const { secretEnv: secretChange, ...replaced } = change;
  const storedUrls = [stored.pythonIndexUrl, ...stored.pythonExtraIndexUrls];
  const secretEnv = { ...stored.secretEnv };
  for (const [name, value] of Object.entries(secretChange ?? {})) {
    if (value === null) delete secretEnv[name];
    else secretEnv[name] = value;
  }
  return {
    ...stored,
    ...replaced,
    ...(replaced.pythonIndexUrl == null
      ? {}
      : { pythonIndexUrl: keepMaskedPassword(replaced.pythonIndexUrl, storedUrls) }),
    ...(replaced.pythonExtraIndexUrls === undefined
      ? {}
      : {
          pythonExtraIndexUrls: replaced.pythonExtraIndexUrls.map((url) =>
            keepMaskedPassword(url, storedUrls),
          ),
        }),
    secretEnv,
  };
}

/** What a change touches, for the audit log: field names, and each secret variable's name. */
function changedFields(change: SettingsChange): string {
  return Object.keys(change)
    .flatMap((field) =>
      field === 'secretEnv'
        ? Object.keys(change.secretEnv ?? {}).map((name) => `secretEnv.${name}`)
        : [field],
    )
    .join(',');
}
