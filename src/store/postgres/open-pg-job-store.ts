import type pg from 'pg';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import type { JobStore } from '../job-store.js';

/**
 * The job store of the PostgreSQL backend, on the backend's pool (the tables exist: see
 * `migrations.ts`). Until the PostgreSQL JobStore lands (`pg-job-store.ts`, issue 14) this is a
 * store with no jobs: reads answer empty, so a server starts and runs ad-hoc executions, and every
 * change is refused with `store_unavailable` saying why.
 */
export function openPgJobStore(_pool: pg.Pool, _now: () => Date): JobStore {
  const refuse = async (): Promise<never> => {
    throw new StepflowError(
      ERROR_CODES.STORE_UNAVAILABLE,
      'jobs are not supported on PostgreSQL yet (STEPFLOW_DATABASE_URL): use the SQLite store for jobs',
    );
  };
  return {
    createJob: refuse,
    updateJob: refuse,
    getJob: async () => undefined,
    listJobs: async () => ({ jobs: [], unreadable: [] }),
    deleteJob: refuse,
    setEnabled: refuse,
    recordFire: refuse,
    updateFire: refuse,
    planFire: refuse,
    listFires: async () => [],
    recordDelivery: refuse,
    listDeliveries: async () => [],
    lastRuns: async () => new Map(),
    recentRuns: async (jobIds) => new Map(jobIds.map((id) => [id, []])),
    recentStepDurations: async () => [],
    savePendingRetry: refuse,
    claimPendingRetry: async () => undefined,
    listPendingRetries: async () => [],
    dropPendingRetries: async () => undefined,
    // The pool belongs to the execution store, which ends it.
    close: async () => undefined,
  };
}
