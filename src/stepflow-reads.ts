import type { StepflowConfig } from './config.js';
import type { MigrationBackup } from './app/backup/backup-before-migrate.js';
import { explainedReads, type ExecutionReads } from './app/executions.js';
import { DEFAULT_WORKER_LEASE_MS, waitingReasons } from './app/workers.js';
import { endLeftovers, openRecoveredReads } from './open-backend.js';
import { createProcessMonitor } from './runner/process-monitor.js';

/** What `stepflow ls|show|logs|search` read on this machine: the executions, as the application reads them. */
export interface StepflowReads {
  config: StepflowConfig;
  reads: ExecutionReads;
  /** The backup taken because this start migrated the schema (docs/OPERATIONS.md, "Upgrade"). */
  migrationBackup?: MigrationBackup;
  close(): Promise<void>;
}

/**
 * The read-only side of the composition root (`stepflow.ts` builds the whole): the store opened
 * as every process opens it (a backup before a migration, crash recovery and the leftovers of
 * dead runs ended), and the reads `app.executions.reads` gives, `waitingFor` included. No engine,
 * scheduler, writer or application: a read command loads and builds only this, which is most of
 * its start-up (docs/PERFORMANCE.md, "CLI start-up").
 */
export async function openStepflowReads(config: StepflowConfig): Promise<StepflowReads> {
  const { backend, recovered, migrationBackup } = await openRecoveredReads(config);
  const monitor = createProcessMonitor();
  endLeftovers(recovered, monitor, config.killGraceMs);
  const explain = waitingReasons({
    workers: backend.workers,
    leaseMs: config.workerLeaseMs ?? DEFAULT_WORKER_LEASE_MS,
    maxRunning: config.clusterMaxRunning,
  });
  return {
    config,
    reads: explainedReads(backend.store, explain),
    ...(migrationBackup ? { migrationBackup } : {}),
    async close() {
      monitor.close();
      await backend.store.close();
    },
  };
}
