import type pg from 'pg';
import type { JobStore } from '../job-store.js';
import { PostgresJobStore } from './pg-job-store.js';

/**
 * The job store of the PostgreSQL backend, on the backend's pool (the tables exist: see
 * `migrations.ts`). The pool belongs to the execution store, which ends it.
 */
export function openPgJobStore(pool: pg.Pool, now: () => Date): JobStore {
  return new PostgresJobStore(pool, now);
}
