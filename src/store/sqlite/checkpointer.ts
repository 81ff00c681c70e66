import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/** WAL pages that trigger a checkpoint inside a commit when no background checkpointer runs. */
export const WAL_AUTOCHECKPOINT_PAGES = 1024;
/** After a checkpoint, the WAL file is cut back to this size. */
export const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

const CHECKPOINT_INTERVAL_MS = 1000;

/**
 * Runs in a worker thread on its own connection. PASSIVE never takes the write lock, so the
 * writer on the main thread never waits for it; once the WAL has stayed fully checkpointed for a
 * tick (nothing written meanwhile), TRUNCATE gives its disk space back. No busy timeout: TRUNCATE
 * holds off new writers while it waits, so it gives up at once (and retries later) instead. Plain
 * JS (CommonJS, as `eval` workers run), so the same code works from `dist/` and from the sources.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { timeout: 0, fileMustExist: true });
db.pragma('wal_autocheckpoint = 0');
db.pragma('journal_size_limit = ' + workerData.journalSizeLimit);
// Copying WAL frames back needs no page cache: keep this connection's memory small.
db.pragma('cache_size = -512');
let lastLog = -1;
const timer = setInterval(() => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    if (r.busy === 0 && r.log > 0 && r.log === r.checkpointed && r.log === lastLog) {
      db.pragma('wal_checkpoint(TRUNCATE)');
      lastLog = 0;
    } else lastLog = r.log;
  } catch (error) {
    // Busy: a writer or reader is in the way. Full: the database file cannot grow (disk full);
    // the frames stay in the WAL, so try again next tick rather than hand the job back for good.
    if (!/^SQLITE_(BUSY|FULL)/.test(String(error.code))) throw error;
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Stops the worker and closes its connection. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Moves WAL checkpoints off the main thread: a checkpoint run inside a commit (SQLite's automatic
 * one) copies up to 16 MiB of pages and measured 45–110 ms of blocked event loop under load. The
 * main connection stops checkpointing while the worker lives; if the worker fails, it takes over
 * again, so the WAL never grows without bound.
 */
export function startCheckpointer(db: Database.Database): Checkpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    // A small isolate: the worker only loops over one pragma, and every MB counts with 500 runs.
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
    workerData: {
      module: createRequire(import.meta.url).resolve('better-sqlite3'),
      file: db.name,
      journalSizeLimit: JOURNAL_SIZE_LIMIT_BYTES,
      intervalMs: CHECKPOINT_INTERVAL_MS,
    },
  });
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const fallBack = (): void => {
    if (db.open) db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  };
  // A worker that cannot open or checkpoint hands the job back to the main connection.
  worker.once('error', fallBack);
  db.pragma('wal_autocheckpoint = 0');
  let closing: Promise<void> | undefined;
  return {
    close: () =>
      (closing ??= (async () => {
        // Referenced while it winds down: an unreferenced worker would let the process end (or
        // settle nothing, for a top-level await) before its connection is closed.
        worker.ref();
        worker.postMessage('close');
        await exited;
        fallBack();
      })()),
  };
}
