import type { StepflowConfig } from './config.js';
import type { MigrationBackup } from './app/backup/backup-before-migrate.js';
import type { RunApplication } from './app/application.js';
import { createExecutions } from './app/executions.js';
import { DEFAULT_WORKER_LEASE_MS, waitingReasons } from './app/workers.js';
import { limitHeapGrowth } from './heap-growth.js';
import { openRecoveredRun } from './open-backend.js';
import { createStepflowEngine } from './stepflow-engine.js';

/** What `stepflow run` (and `rerun`) use on this machine: runs and their event stream. */
export interface StepflowRun {
  config: StepflowConfig;
  app: RunApplication;
  /** The backup taken because this start migrated the schema (docs/OPERATIONS.md, "Upgrade"). */
  migrationBackup?: MigrationBackup;
  close(): Promise<void>;
}

/**
 * The run side of the composition root (`stepflow.ts` builds the whole): the store opened as every
 * process opens it (`open-backend.ts`), the same engine side (`stepflow-engine.ts`: writer, engine,
 * cancel watcher, worker dispatch, run preparation) and `app.executions` on it. No scheduler,
 * notifier or the rest of the application, which a run in a terminal never starts: a third of its
 * start-up (docs/PERFORMANCE.md, "CLI start-up, third pass").
 */
export async function openStepflowRun(config: StepflowConfig): Promise<StepflowRun> {
  limitHeapGrowth();
  const { backend, recovered, migrationBackup } = await openRecoveredRun(config);
  const { store, workers } = backend;
  const runs = createStepflowEngine(config, backend, recovered);
  const { dispatch, bus } = runs;
  const executions = createExecutions({
    store,
    engine: dispatch,
    requestCancel: runs.requestCancel,
    writer: runs.writer,
    dataDir: config.dataDir,
    cancelQueued: (id, reason) => dispatch.cancelQueued(id, reason),
    explain: waitingReasons({
      workers,
      leaseMs: config.workerLeaseMs ?? DEFAULT_WORKER_LEASE_MS,
      maxRunning: config.clusterMaxRunning,
    }),
  });

  let closing: Promise<void> | undefined;
  return {
    config,
    app: { executions, events: { subscribe: (listener) => bus.subscribe(listener) } },
    ...(migrationBackup ? { migrationBackup } : {}),
    close: () =>
      (closing ??= (async () => {
        // Reverse order of construction, as stepflow.ts closes the whole.
        await runs.stopRuns();
        await runs.closeWrites();
        await store.close();
      })()),
  };
}
