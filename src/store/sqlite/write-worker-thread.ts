import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { WriteBatch } from '../store.js';
import { createBatchWriter } from './batch-writer.js';
import { configureConnection } from './open-database.js';

/**
 * The write worker's thread (see write-worker.ts): its own connection to the database, the same
 * batch writer the main thread would use, one transaction per batch. Its commits also run SQLite's
 * automatic WAL checkpoints, which therefore never block the main thread either.
 */
export interface WriteRequest {
  id: number;
  batch: WriteBatch;
}

export type WriteReply = { id: number } | { id: number; error: { message: string; code?: string } };

const port = parentPort;
if (port === null) throw new Error('write-worker-thread.js runs only as a worker thread');

const { file } = workerData as { file: string };
const db = new Database(file, { fileMustExist: true });
configureConnection(db);
// Appends touch few pages again (the index's right edge, the executions rows): a small cache does,
// and every MB of it is resident memory of the server.
db.pragma('cache_size = -8192');
const writer = createBatchWriter(db);

port.on('message', (message: WriteRequest | 'close') => {
  if (message === 'close') {
    db.close();
    port.close();
    return;
  }
  try {
    writer.write(message.batch);
    port.postMessage({ id: message.id } satisfies WriteReply);
  } catch (error) {
    const { message: text, code } = error as { message?: string; code?: unknown };
    port.postMessage({
      id: message.id,
      error: { message: text ?? String(error), ...(typeof code === 'string' ? { code } : {}) },
    } satisfies WriteReply);
  }
});
