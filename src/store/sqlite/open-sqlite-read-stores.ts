import * as path from 'node:path';
import type { ReadStores } from '../store-backend.js';
import { DATABASE_FILE, openDatabase } from './open-database.js';
import { SqliteStore } from './sqlite-store.js';
import { SqliteWorkerStore } from './sqlite-worker-store.js';

/**
 * What the read commands use of the SQLite backend (`stepflow ls|show|logs|search`), on the same
 * connection, schema and migrations as `openSqliteStores`: the other stores are neither loaded
 * nor built (a fifth of such a command's start-up). Closing `store` closes the connection.
 */
export async function openSqliteReadStores({
  dataDir,
  now = () => new Date(),
}: {
  dataDir: string;
  now?: () => Date;
}): Promise<ReadStores> {
  const db = await openDatabase(dataDir);
  const store = new SqliteStore(db, path.join(dataDir, DATABASE_FILE), now);
  return { store, workers: new SqliteWorkerStore(db, () => store.invalidateListings()) };
}
