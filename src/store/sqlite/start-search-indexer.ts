import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { IndexerMessage, IndexerWorkerData } from './search-indexer-worker.js';
import type { IndexLag } from './search-indexer.js';

export interface SearchIndexer {
  /** Chunks and lines past the index (searches read them directly); undefined until known. */
  lag(): IndexLag | undefined;
  /** Stops the worker (finishing its current batch) and closes its connections. Safe twice. */
  close(): Promise<void>;
}

/**
 * Starts the background search indexer of a data dir: a worker thread that keeps
 * `search-index.sqlite` up with the log chunks of `stepflow.db` (docs/SEARCH.md). Undefined when
 * the compiled worker is not there (running from the TypeScript sources): searches are exact
 * without it, only slower.
 */
export function startSearchIndexer({
  mainFile,
  indexFile,
  idleMs = 1000,
  batchMs = 50,
  pruneEveryMs = 60_000,
  onError = () => {},
}: {
  mainFile: string;
  indexFile: string;
  idleMs?: number;
  batchMs?: number;
  pruneEveryMs?: number;
  /** A failed step (retried later by the worker) or the worker's end on an error. */
  onError?: (message: string) => void;
}): SearchIndexer | undefined {
  const url = new URL('./search-indexer-worker.js', import.meta.url);
  if (!fs.existsSync(fileURLToPath(url))) return undefined;
  const worker = new Worker(url, {
    workerData: { mainFile, indexFile, idleMs, batchMs, pruneEveryMs } satisfies IndexerWorkerData,
    // Chunk texts pass through it one at a time: a small heap is plenty.
    resourceLimits: { maxOldGenerationSizeMb: 64 },
  });
  worker.unref();
  let lag: IndexLag | undefined;
  worker.on('message', (message: IndexerMessage) => {
    if (message.type === 'lag') lag = message.lag;
    else onError(message.message);
  });
  worker.on('error', (error) => onError(String(error)));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let closing: Promise<void> | undefined;
  return {
    lag: () => lag,
    close: () =>
      (closing ??= (async () => {
        // Referenced while it winds down, so the process waits for its connections to close.
        worker.ref();
        worker.postMessage('close');
        await exited;
      })()),
  };
}
