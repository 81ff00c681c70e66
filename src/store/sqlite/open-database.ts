import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { JOURNAL_SIZE_LIMIT_BYTES, WAL_AUTOCHECKPOINT_PAGES } from './checkpointer.js';
import { runMigrations } from './migrations.js';
import { toStoreError } from './sqlite-errors.js';

/** File name of the database inside the data dir. */
export const DATABASE_FILE = 'stepflow.db';

const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating if needed) `<dataDir>/stepflow.db` with the pragmas every StepFlow connection
 * uses, and brings its schema up to date.
 */
export async function openDatabase(dataDir: string): Promise<Database.Database> {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, DATABASE_FILE);
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
      configure(db);
      runMigrations(db);
      return db;
    } catch (error) {
      db?.close();
      // Processes opening a brand-new file at once race to switch it to WAL, and SQLite fails
      // that switch with SQLITE_BUSY without waiting. Every step is idempotent: try again.
      if (isBusy(error) && Date.now() < deadline) {
        await sleep(10 + Math.random() * 40);
        continue;
      }
      throw toStoreError(error, `cannot open the database ${file}`);
    }
  }
}

function configure(db: Database.Database): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // Only takes effect on a new file. Log chunks are large rows: 16 KiB pages cut the per-page work
  // (overflow chains, WAL frames) and measured ~30% faster log writes than the 4 KiB default.
  db.pragma('page_size = 16384');
  // Only takes effect on a new file, too: space that retention frees can then be given back to the
  // file system in steps (incremental_vacuum). An older file is converted by `stepflow prune
  // --vacuum` (docs/RETENTION.md).
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode loses at most the last commits on power loss, never consistency.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -32768');
  db.pragma('temp_store = MEMORY');
  // Checkpoint every 16 MiB of WAL (1024 pages of 16 KiB). A store that writes moves this off the
  // main thread (see checkpointer.ts); short-lived connections keep it.
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  // After a checkpoint, keep the WAL file from staying at its high-water mark forever.
  db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
}

function isBusy(error: unknown): boolean {
  return error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY');
}
