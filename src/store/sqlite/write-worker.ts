import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { WriteBatch } from '../store.js';
import type { WriteReply, WriteRequest } from './write-worker-thread.js';

/**
 * Moves batch writes off the main thread. Under load a batch (100 ms of lines from hundreds of
 * executions) is a 5–25 ms transaction; on the main thread it delayed every API response and
 * WebSocket frame queued behind it. The worker holds its own connection; the main connection keeps
 * reading (WAL: readers never wait for the writer) and still does the rare one-row writes (create,
 * delete, recovery), which simply wait on busy_timeout while a batch commits.
 *
 * Batches are committed in the order they are posted; `write` resolves after the commit, so a
 * read that follows it sees the batch.
 */
export interface WriteWorker {
  write(batch: WriteBatch): Promise<void>;
  /** False once the worker failed: the caller writes on its own connection again. */
  readonly healthy: boolean;
  close(): Promise<void>;
}

/** The compiled worker next to this file; absent when running from the TypeScript sources (tests). */
export function defaultWriteWorkerEntry(): URL | undefined {
  const entry = new URL('./write-worker-thread.js', import.meta.url);
  return import.meta.url.endsWith('.js') && fs.existsSync(fileURLToPath(entry)) ? entry : undefined;
}

export function startWriteWorker(file: string, entry: URL): WriteWorker {
  const worker = new Worker(entry, {
    workerData: { file },
    // Batches are short-lived garbage; the page cache lives outside the JS heap.
    resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 },
  });
  worker.unref();
  const pending = new Map<number, { resolve: () => void; reject: (error: unknown) => void }>();
  let nextId = 1;
  let failure: Error | undefined;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  const failAll = (error: Error): void => {
    failure ??= error;
    for (const { reject } of pending.values()) reject(failure);
    pending.clear();
  };
  worker.on('message', (reply: WriteReply) => {
    const request = pending.get(reply.id);
    if (!request) return;
    pending.delete(reply.id);
    if (pending.size === 0) worker.unref();
    if ('error' in reply) request.reject(asDriverError(reply.error));
    else request.resolve();
  });
  worker.once('error', (error) => failAll(error));
  worker.once('exit', (code) => failAll(new Error(`the store's write worker exited (code ${code})`)));

  let closing: Promise<void> | undefined;
  return {
    get healthy() {
      return failure === undefined;
    },
    write(batch) {
      if (failure) return Promise.reject(failure);
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        // Referenced while a batch is in flight, so the process waits for its commit.
        worker.ref();
        worker.postMessage({ id, batch } satisfies WriteRequest);
      });
    },
    close: () =>
      (closing ??= (async () => {
        if (failure) return;
        worker.ref();
        // Messages are handled in order: every batch posted before this one is committed first.
        worker.postMessage('close');
        await exited;
      })()),
  };
}

/** Rebuilds the driver's error, so the store maps it to its error codes like any other. */
function asDriverError({ message, code }: { message: string; code?: string }): Error {
  return code?.startsWith('SQLITE_') ? new Database.SqliteError(message, code) : new Error(message);
}
