import type { StepflowConfig } from './config.js';
import type { ExecutionOwner } from './core/model.js';
import { createEngine, type Engine } from './engine/engine.js';
import { createEventBus, type EventBus } from './engine/event-bus.js';
import { createStoreWriter, type StoreWriter } from './engine/store-writer.js';
import { createProcessMonitor } from './runner/process-monitor.js';
import { currentOwner, isOwnerAlive } from './runner/process-owner.js';
import { createSpawnHelper } from './runner/spawn-helper.js';
import { terminateTree } from './runner/terminate-tree.js';
import { openSqliteStore, type SqliteStore } from './store/sqlite/sqlite-store.js';
import { createNotifier, type Notifier } from './notify/notifier.js';
import { createScheduler, type Scheduler } from './scheduler/scheduler.js';
import type { JobStore } from './store/job-store.js';
import { openSqliteJobStore } from './store/sqlite/sqlite-job-store.js';

/** Everything a StepFlow process needs, built and connected in one place. */
export interface Stepflow {
  config: StepflowConfig;
  store: SqliteStore;
  bus: EventBus;
  engine: Engine;
  writer: StoreWriter;
  /** Saved jobs, their fire history and webhook deliveries (docs/JOBS.md). */
  jobs: JobStore;
  /** Fires jobs; built here, started only by the server (`stepflow run` and `ls` never fire jobs). */
  scheduler: Scheduler;
  notifier: Notifier;
  /** Ids of executions found orphaned by a dead process and marked `interrupted` at open. */
  recovered: string[];
  /** This process as the owner of the executions it runs (the live hub tails the others). */
  owner: ExecutionOwner;
  /** Stops running executions, flushes, closes the store (reverse order of construction). */
  close(): Promise<void>;
}

export interface StepflowOptions {
  /**
   * Start processes from a helper process (see spawn-helper.ts): for the server, whose event loop
   * must not stop for each spawn. A CLI run starts one process and spawns itself.
   */
  spawnHelper?: boolean;
}

/** The composition root: the only place that picks concrete adapters. */
export async function createStepflow(
  config: StepflowConfig,
  options: StepflowOptions = {},
): Promise<Stepflow> {
  const store = await openSqliteStore({ dataDir: config.dataDir });
  const recovered = await store.recoverInterrupted(isOwnerAlive);
  const monitor = createProcessMonitor();
  // The scripts of a crashed StepFlow process may still run unsupervised: end them too. SIGTERM goes
  // out at once; the SIGKILL follow-up only happens if this process lives through the grace period.
  for (const id of recovered) {
    void terminateTree({ pgid: undefined, tag: id, monitor, graceMs: config.killGraceMs });
  }
  const helper = options.spawnHelper ? createSpawnHelper({ environment: config.runEnvironment }) : undefined;
  const bus = createEventBus();
  const owner = currentOwner();
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
    environment: config.runEnvironment,
  });
  const jobs = await openSqliteJobStore({ dataDir: config.dataDir });
  const notifier = createNotifier({ jobs, store, flush: writer.flush });
  const scheduler = createScheduler({ jobs, engine, notifier, bus });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      // The scheduler first, so nothing fires into an engine that is shutting down.
      await scheduler.stop();
      await engine.shutdown();
      helper?.close();
      await notifier.close();
      await writer.close();
      unsubscribeWriter();
      monitor.close();
      await jobs.close();
      await store.close();
    })());

  return { config, store, bus, engine, writer, jobs, scheduler, notifier, recovered, owner, close };
}
