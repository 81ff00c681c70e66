import * as path from 'node:path';
import type { StoreBackend } from '../store-backend.js';
import { DATABASE_FILE, openDatabase } from './open-database.js';
import { SqliteJobStore } from './sqlite-job-store.js';
import { SqliteConsistency } from './sqlite-consistency.js';
import { SqliteMaintenance } from './sqlite-maintenance.js';
import { sqliteSnapshots } from './sqlite-snapshots.js';
import { SqliteStore } from './sqlite-store.js';
import { SqliteSecretDocuments } from './sqlite-secret-documents.js';
import { SqliteUserStore } from './sqlite-user-store.js';
import { SqliteAuditStore } from './sqlite-audit-store.js';
import { SqliteWorkerStore } from './sqlite-worker-store.js';
import { SqliteSavedPipelineStore } from './sqlite-saved-pipeline-store.js';
import { SqlitePipelineRunStore } from './sqlite-pipeline-run-store.js';
import { SqliteEnvironmentStore } from './sqlite-environment-store.js';
import { SqliteProjectStore } from './sqlite-project-store.js';

/** The SQLite backend: both ports and maintenance, on one connection to `<dataDir>/stepflow.db`. */
export interface SqliteStores extends StoreBackend {
  store: SqliteStore;
  jobs: SqliteJobStore;
  maintenance: SqliteMaintenance;
  workers: SqliteWorkerStore;
  consistency: SqliteConsistency;
  users: SqliteUserStore;
  audit: SqliteAuditStore;
}

/**
 * Opens the SQLite backend in `dataDir` (creating and migrating the database as needed). The job
 * store reads the executions the execution store writes, so both use the same connection; the
 * execution store owns it: closing it closes them all.
 */
export async function openSqliteStores({
  dataDir,
  now = () => new Date(),
}: {
  dataDir: string;
  /** Clock for timestamps the stores set themselves (createdAt, recovery); tests pass a fake. */
  now?: () => Date;
}): Promise<SqliteStores> {
  const file = path.join(dataDir, DATABASE_FILE);
  const db = await openDatabase(dataDir);
  const store = new SqliteStore(db, file, now);
  return {
    store,
    jobs: new SqliteJobStore(db, now),
    maintenance: new SqliteMaintenance(db, file, () => store.packLogsWhenIdle()),
    workers: new SqliteWorkerStore(db, () => store.invalidateListings()),
    snapshots: sqliteSnapshots,
    consistency: new SqliteConsistency(db),
    users: new SqliteUserStore(db),
    secrets: new SqliteSecretDocuments(db, now),
    audit: new SqliteAuditStore(db),
    savedPipelines: new SqliteSavedPipelineStore(db),
    pipelineRuns: new SqlitePipelineRunStore(db),
    environments: new SqliteEnvironmentStore(db),
    projects: new SqliteProjectStore(db),
  };
}
