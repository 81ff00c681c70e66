import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import type { SnapshotContents, StoreSnapshots, StoredArtifactFile } from '../snapshots.js';
import { DATABASE_FILE, openDatabase } from './open-database.js';
import { MIGRATIONS } from './migrations.js';
import { searchIndexPath } from './search-index.js';
import { toStoreError } from './sqlite-errors.js';

const PROGRESS_EVERY_MS = 200;

/**
 * `VACUUM INTO` on a read-only connection of its own, in a worker thread: one read transaction, so
 * the copy is the database as of its start; in WAL mode it never blocks the writers (measured: the
 * writers' commit latency stayed within the machine's noise, docs/OPERATIONS.md), and the event loop
 * of a server taking it stays free. The backup API (`db.backup()`) was the other candidate: copied
 * in steps from another connection it starts over after every commit of the writers, so under load
 * it never finishes; in one step it is a read transaction like this one, with free pages kept.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
let db;
try {
  db = new Database(workerData.source, { readonly: true, fileMustExist: true, timeout: 5000 });
  db.prepare('VACUUM INTO ?').run(workerData.target);
  parentPort.postMessage({ done: true });
} catch (error) {
  parentPort.postMessage({ error: { code: String(error && error.code), message: String(error && error.message) } });
} finally {
  if (db) db.close();
}
`;

/** {@link StoreSnapshots} of the SQLite backend: `<dataDir>/stepflow.db`. */
export const sqliteSnapshots: StoreSnapshots = {
  schemaVersion: MIGRATIONS.length,
  databaseFile: DATABASE_FILE,

  companionFiles(dataDir) {
    const db = path.join(dataDir, DATABASE_FILE);
    const index = searchIndexPath(dataDir);
    return [`${db}-wal`, `${db}-shm`, index, `${index}-wal`, `${index}-shm`];
  },

  snapshot(dataDir, file, onProgress) {
    const source = path.join(dataDir, DATABASE_FILE);
    const total = sizeOf(source) + sizeOf(`${source}-wal`);
    return new Promise((resolve, reject) => {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: {
          module: createRequire(import.meta.url).resolve('better-sqlite3'),
          source,
          target: file,
        },
      });
      const progress = onProgress
        ? setInterval(() => onProgress(Math.min(sizeOf(file), total), total), PROGRESS_EVERY_MS)
        : undefined;
      let settled = false;
      const settle = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        clearInterval(progress);
        if (error === undefined) {
          onProgress?.(sizeOf(file), Math.max(total, sizeOf(file)));
          resolve();
        } else reject(error);
      };
      worker.once('message', (message: { done?: true; error?: { code: string; message: string } }) => {
        if (message.done) return settle();
        const { code, message: text } = message.error ?? { code: 'unknown', message: 'no result' };
        settle(toStoreError(new Database.SqliteError(text, code), `cannot copy the database ${source}`));
      });
      worker.once('error', settle);
      worker.once('exit', (code) =>
        settle(new Error(`the snapshot worker exited (${code}) without a result`)),
      );
    });
  },

  async describe(file) {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const count = (sql: string): number => db.prepare(sql).pluck().get() as number;
      const hasTable = (name: string): boolean =>
        db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
      const artifacts = db
        .prepare<[], ArtifactRow>(
          `SELECT ${ARTIFACT_COLUMNS} FROM artifacts
          WHERE status = 'stored' AND stored_path IS NOT NULL ORDER BY execution_id, id`,
        )
        .all()
        .map(artifactFromRow);
      const projectVersions = hasTable('project_versions')
        ? db
            .prepare<[], { projectId: string; version: number }>(
              'SELECT project_id AS projectId, version FROM project_versions ORDER BY project_id, version',
            )
            .all()
        : // A snapshot of a schema from before projects (a backup before a migration).
          [];
      const contents: SnapshotContents = {
        schemaVersion: db.pragma('user_version', { simple: true }) as number,
        counts: {
          executions: count('SELECT count(*) FROM executions'),
          jobs: count('SELECT count(*) FROM jobs'),
          artifacts: artifacts.length,
          projectVersions: projectVersions.length,
        },
        artifacts,
        projectVersions,
      };
      return contents;
    } catch (error) {
      throw toStoreError(error, `cannot read the database ${file}`);
    } finally {
      db.close();
    }
  },

  schemaVersionOf(dataDir) {
    const file = path.join(dataDir, DATABASE_FILE);
    return fs.existsSync(file) ? readVersion(file) : undefined;
  },

  async migrate(dataDir) {
    const file = path.join(dataDir, DATABASE_FILE);
    const fromVersion = readVersion(file);
    if (fromVersion > MIGRATIONS.length) {
      throw new StepflowError(
        ERROR_CODES.BACKUP_INVALID,
        `the database has schema version ${fromVersion}, newer than this StepFlow supports (${MIGRATIONS.length}); restore it with a newer StepFlow`,
      );
    }
    (await openDatabase(dataDir)).close();
    return { fromVersion, toVersion: MIGRATIONS.length };
  },

  isInUse(dataDir) {
    const file = path.join(dataDir, DATABASE_FILE);
    if (!fs.existsSync(file)) return false;
    // Every connection to a WAL database holds a shared lock on the file for as long as it is open
    // (that is how SQLite's last connection knows it may delete the WAL): an exclusive lock taken
    // without waiting fails while any other process has it open, idle or not.
    const db = new Database(file, { timeout: 0, fileMustExist: true });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      db.exec('ROLLBACK');
      return false;
    } catch (error) {
      if (error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY')) return true;
      throw toStoreError(error, `cannot check whether ${file} is in use`);
    } finally {
      db.close();
    }
  },
};

/** The artifact columns {@link StoredArtifactFile} is read from. */
export const ARTIFACT_COLUMNS = 'execution_id, id, stored_path, kind, size, sha256';

export interface ArtifactRow {
  execution_id: string;
  id: number;
  stored_path: string;
  kind: string | null;
  size: number | null;
  sha256: string | null;
}

export function artifactFromRow(row: ArtifactRow): StoredArtifactFile {
  return {
    executionId: row.execution_id,
    artifactId: row.id,
    storedPath: row.stored_path,
    kind: row.kind === 'file' || row.kind === 'directory' ? row.kind : null,
    size: row.size,
    sha256: row.sha256,
  };
}

function readVersion(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } catch (error) {
    throw toStoreError(error, `cannot read the database ${file}`);
  } finally {
    db.close();
  }
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0; // not there (yet): nothing copied, or no WAL
  }
}
