import * as path from 'node:path';
import type { RunStores } from '../store-backend.js';
import { DATABASE_FILE, openDatabase } from './open-database.js';
import { SqliteEnvironmentStore } from './sqlite-environment-store.js';
import { SqliteStore } from './sqlite-store.js';
import { SqliteWorkerStore } from './sqlite-worker-store.js';

/**
 * What `stepflow run` uses of the SQLite backend, on the same connection, schema and migrations
 * as `openSqliteStores`: jobs, users, audit, pipelines and projects are neither loaded nor built
 * (docs/PERFORMANCE.md, "CLI start-up, third pass"). Closing `store` closes the connection.
 */
export async function openSqliteRunStores({
  dataDir,
  now = () => new Date(),
}: {
  dataDir: string;
  now?: () => Date;
}): Promise<RunStores> {
  const db = await openDatabase(dataDir);
  const store = new SqliteStore(db, path.join(dataDir, DATABASE_FILE), now);
  return {
    store,
    workers: new SqliteWorkerStore(db, () => store.invalidateListings()),
    environments: new SqliteEnvironmentStore(db),
  };
}
