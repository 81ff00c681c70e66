import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { IntegrityReport } from '../maintenance.js';
import { toStoreError } from './sqlite-errors.js';

/** More problems than this say nothing more: the database needs a restore either way. */
const MAX_PROBLEMS = 100;

/**
 * Runs in a worker thread on a read-only connection of its own: `integrity_check` reads every
 * page, which takes seconds to minutes on a large database, and better-sqlite3 would hold the
 * event loop for all of it. A reader in WAL mode never blocks the writers. Damage so bad that the
 * check cannot run (not a database, a broken header) is reported as a problem, not an error.
 * Plain JS (CommonJS, as `eval` workers run), like the checkpointer's.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
let db;
try {
  db = new Database(workerData.file, { readonly: true, fileMustExist: true, timeout: 5000 });
  db.pragma('cache_size = -2048');
  const rows = db.pragma('integrity_check(' + workerData.maxProblems + ')', { simple: false });
  const problems = rows.map((row) => String(row.integrity_check)).filter((text) => text !== 'ok');
  parentPort.postMessage({ problems });
} catch (error) {
  const code = String(error && error.code);
  if (/^SQLITE_(CORRUPT|NOTADB)/.test(code)) parentPort.postMessage({ problems: [String(error.message)] });
  else parentPort.postMessage({ error: { code, message: String(error && error.message) } });
} finally {
  if (db) db.close();
}
`;

/** Checks the database file for damage without blocking this thread. */
export function checkIntegrity(file: string): Promise<IntegrityReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
      workerData: {
        module: createRequire(import.meta.url).resolve('better-sqlite3'),
        file,
        maxProblems: MAX_PROBLEMS,
      },
    });
    let settled = false;
    worker.once('message', (message: { problems?: string[]; error?: { code: string; message: string } }) => {
      settled = true;
      if (message.problems) {
        resolve({ ok: message.problems.length === 0, problems: message.problems });
        return;
      }
      // Another driver error (busy, cannot open): the catalog's store error, as on the main thread.
      const { code, message: text } = message.error ?? { code: 'unknown', message: 'no result' };
      reject(toStoreError(new Database.SqliteError(text, code), 'cannot check the store'));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the integrity check worker exited (${code}) without a result`));
    });
  });
}
