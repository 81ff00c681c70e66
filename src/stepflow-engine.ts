import path from 'node:path';
import type { StepflowConfig } from './config.js';
import type { ExecutionOwner } from './core/model.js';
import { createEngine, type Engine } from './engine/engine.js';
import { createEventBus, type EventBus } from './engine/event-bus.js';
import { createWorkerDispatch, type WorkerDispatch } from './engine/worker-dispatch.js';
import { createCancelWatcher } from './engine/cancel-watcher.js';
import { createCancelRequester, type RequestedCancel } from './engine/request-cancel.js';
import { createStoreWriter, type StoreWriter } from './engine/store-writer.js';
import { withRunPreparation } from './engine/run-preparation.js';
import { createProcessMonitor } from './runner/process-monitor.js';
import { currentOwner } from './runner/process-owner.js';
import { createSpawnHelper } from './runner/spawn-helper.js';
import { createSecretKeeper, SECRET_KEY_FILE, type SecretKeeper } from './secrets/secret-keeper.js';
import type { RunStores } from './store/store-backend.js';
import { endLeftovers } from './open-backend.js';

/** What runs executions in this process, and what the rest of the composition connects to it. */
export interface StepflowEngine {
  bus: EventBus;
  writer: StoreWriter;
  /** The engine itself, for tests that submit past the dispatch. */
  engine: Engine;
  /** The local engine behind the dispatch to workers, run preparation included. */
  dispatch: WorkerDispatch;
  requestCancel: (id: string) => Promise<RequestedCancel>;
  secretKeeper: SecretKeeper;
  owner: ExecutionOwner;
  environmentsDir: string;
  /** Stops the runs (and the cancel watcher, the spawn helper); the writer still takes what they publish. */
  stopRuns(): Promise<void>;
  /** Then: the last flush, the writer unsubscribed, the monitor stopped. The store stays open. */
  closeWrites(): Promise<void>;
}

/**
 * The engine side of the composition root, shared by the whole (`stepflow.ts`: the server and the
 * CLI's other commands, with scheduler, notifier and application) and `stepflow run`'s
 * (`stepflow-run.ts`), so a run in a terminal is run exactly as the server runs one: the store
 * writer, the engine, cancel requests from anywhere, the worker dispatch and run preparation.
 */
export function createStepflowEngine(
  config: StepflowConfig,
  stores: RunStores,
  recovered: readonly string[],
  { spawnHelper = false }: { spawnHelper?: boolean } = {},
): StepflowEngine {
  const { store, workers, environments } = stores;
  // Secrets at rest (docs/SECRETS.md): STEPFLOW_SECRET_KEY, else the data dir's key file on SQLite;
  // on PostgreSQL replicas would each make their own file, so only the variable will do.
  const secretKeeper = createSecretKeeper({
    ...(config.secretKey ? { key: config.secretKey } : {}),
    ...(config.database === undefined ? { keyFile: path.join(config.dataDir, SECRET_KEY_FILE) } : {}),
    secretEnvPatterns: config.secretEnvPatterns,
  });
  const monitor = createProcessMonitor();
  endLeftovers(recovered, monitor, config.killGraceMs);
  const helper = spawnHelper ? createSpawnHelper({ environment: config.runEnvironment }) : undefined;
  const bus = createEventBus();
  const owner = currentOwner();
  const environmentsDir = config.environmentsDir ?? path.join(config.dataDir, 'envs');
  const writer = createStoreWriter({
    store,
    owner,
    maxHeldBytes: config.writeBufferBytes,
    // While the store cannot commit, runs whose output piles up are stopped (and end failed).
    onOverflow: (ids, reason) => ids.forEach((id) => engine.fail(id, reason)),
  });
  const unsubscribeWriter = bus.subscribe(writer.handle);
  const engine = createEngine({
    store,
    bus,
    monitor,
    ...(helper ? { spawn: helper.spawn } : {}),
    owner,
    storeFailure: async () => {
      await writer.flush();
      return writer.failure();
    },
    dataDir: config.dataDir,
    artifactRoots: config.artifactRoots,
    maxConcurrent: config.maxConcurrent,
    killGraceMs: config.killGraceMs,
    secretEnvPatterns: config.secretEnvPatterns,
    secrets: secretKeeper,
    environment: config.runEnvironment,
    environmentsDir,
    ...(config.defaultLimits ? { defaultLimits: config.defaultLimits } : {}),
  });
  // Cancel from anywhere: this process acts on requests for its runs, and records them for others'.
  const cancelWatcher = createCancelWatcher({ store, engine, bus, owner });
  const requestCancel = createCancelRequester({ store, bus, monitor, killGraceMs: config.killGraceMs });
  // What callers submit goes to the local engine or waits for a worker (docs/WORKERS.md).
  // Completed from the settings first: global variables, the Python environment a run names.
  const dispatch = withRunPreparation(
    createWorkerDispatch(engine, {
      store,
      workers,
      bus,
      runsLocally: config.runsLocally ?? true,
      secrets: secretKeeper,
    }),
    environments,
  );

  return {
    bus,
    writer,
    engine,
    dispatch,
    requestCancel,
    secretKeeper,
    owner,
    environmentsDir,
    async stopRuns() {
      cancelWatcher.close();
      // Through the dispatch: it stops its checks for runs ended elsewhere, then the engine.
      await dispatch.shutdown();
      helper?.close();
    },
    async closeWrites() {
      await writer.close();
      unsubscribeWriter();
      monitor.close();
    },
  };
}
