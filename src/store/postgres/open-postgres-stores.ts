import type { StoreBackend } from '../store-backend.js';
import { openPgJobStore } from './open-pg-job-store.js';
import { PgChangeNotices } from './change-notices.js';
import { DEFAULT_POOL_SIZE, openPool } from './open-pool.js';
import { PostgresStore } from './pg-store.js';
import { PostgresSecretDocuments } from './pg-secret-documents.js';
import { PostgresUserStore } from './pg-user-store.js';
import { PostgresAuditStore } from './pg-audit-store.js';
import { PostgresWorkerStore } from './pg-worker-store.js';
import { PostgresSavedPipelineStore } from './pg-saved-pipeline-store.js';
import { PostgresPipelineRunStore } from './pg-pipeline-run-store.js';
import { PostgresEnvironmentStore } from './pg-environment-store.js';
import { PostgresProjectStore } from './pg-project-store.js';

/** The PostgreSQL backend: every port on one pool. No `maintenance` (see docs/POSTGRES.md). */
export interface PostgresStores extends StoreBackend {
  store: PostgresStore;
  workers: PostgresWorkerStore;
}

/**
 * Opens the PostgreSQL backend on `url` (`postgres://user:password@host:port/database`): a pool of
 * `poolSize` connections, the schema migrated. The execution store owns the pool: closing it
 * closes them all. Errors name host and port, never the password.
 */
export async function openPostgresStores({
  url,
  poolSize = DEFAULT_POOL_SIZE,
  now = () => new Date(),
}: {
  url: string;
  poolSize?: number;
  /** Clock for timestamps the stores set themselves (createdAt, recovery); tests pass a fake. */
  now?: () => Date;
}): Promise<PostgresStores> {
  const pool = await openPool(url, { max: poolSize });
  // One LISTEN connection per process (opened at the first subscriber), outside the pool.
  const notices = new PgChangeNotices(pool, { ...pool.options });
  return {
    store: new PostgresStore(pool, now, notices),
    jobs: openPgJobStore(pool, now),
    workers: new PostgresWorkerStore(pool, notices),
    users: new PostgresUserStore(pool),
    secrets: new PostgresSecretDocuments(pool, now),
    audit: new PostgresAuditStore(pool),
    savedPipelines: new PostgresSavedPipelineStore(pool),
    pipelineRuns: new PostgresPipelineRunStore(pool),
    environments: new PostgresEnvironmentStore(pool),
    projects: new PostgresProjectStore(pool),
  };
}
