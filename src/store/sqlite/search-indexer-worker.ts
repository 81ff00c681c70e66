import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { fileIdentity, openSearchIndex } from './search-index.js';
import { createIndexer, createLagReader, createPruner, type IndexLag } from './search-indexer.js';

/**
 * The search indexer's thread (started by `start-search-indexer.ts`): tokenizing runs here, on
 * another core than the one ingesting. Reads the main database on a read-only connection and
 * writes the index file only.
 */
export interface IndexerWorkerData {
  mainFile: string;
  indexFile: string;
  /** Time between two looks at the main database when there was nothing new. */
  idleMs: number;
  /** Bound on one indexing transaction. */
  batchMs: number;
  /** Shortest time between two prunings of deleted runs' rows (done when idle, after a change). */
  pruneEveryMs: number;
}

/** What the worker tells its owner after each step that changed something. */
export type IndexerMessage = { type: 'lag'; lag: IndexLag } | { type: 'error'; message: string };

const data = workerData as IndexerWorkerData;
const port = parentPort;
if (port === null) throw new Error('search-indexer-worker runs as a worker thread');

const main = new Database(data.mainFile, { readonly: true, fileMustExist: true, timeout: 5000 });
main.pragma('cache_size = -4096');
const dataVersion = main.prepare('PRAGMA data_version').pluck();

interface OpenIndex {
  index: Database.Database;
  identity: string | undefined;
  step: ReturnType<typeof createIndexer>;
  lag: () => IndexLag;
  prune: () => number;
}
let open: OpenIndex | undefined;

/** (Re)opens the index when it is not open or its file was deleted or replaced under us. */
function current(): OpenIndex {
  if (open !== undefined && open.identity !== undefined && fileIdentity(data.indexFile) === open.identity) {
    return open;
  }
  open?.index.close();
  const index = openSearchIndex(data.indexFile, { create: true }) as Database.Database;
  open = {
    index,
    identity: fileIdentity(data.indexFile),
    step: createIndexer(index, main),
    lag: createLagReader(index, main),
    prune: createPruner(index, main),
  };
  return open;
}

let closed = false;
let timer: NodeJS.Timeout | undefined;
let lastVersion: unknown;
let lastPrune = 0;
let pruneDue = true;
let lastLag: IndexLag | undefined;

function schedule(ms: number, next: () => void): void {
  if (!closed) timer = setTimeout(next, ms);
}

function tick(): void {
  try {
    const { step, lag, prune } = current();
    const version = dataVersion.get();
    if (version !== lastVersion) pruneDue = true;
    const started = performance.now();
    const { more } = step({ maxMs: data.batchMs });
    if (!more && pruneDue && Date.now() - lastPrune >= data.pruneEveryMs) {
      lastPrune = Date.now();
      pruneDue = false;
      prune();
    }
    const l = lag();
    if (lastLag === undefined || l.chunks !== lastLag.chunks || l.lines !== lastLag.lines) {
      lastLag = l;
      port?.postMessage({ type: 'lag', lag: l } satisfies IndexerMessage);
    }
    if (more) {
      // Catching up. While something is writing the main database (the ingest: data_version moved
      // during the batch), rest as long as the batch took, so the indexer takes at most half a
      // core and the writer always gets its turn; otherwise go on at once (after the event loop
      // had its turn, for a close).
      const writing = dataVersion.get() !== version;
      schedule(writing ? Math.max(5, performance.now() - started) : 0, tick);
      return;
    }
    lastVersion = version;
    schedule(data.idleMs, idleTick);
  } catch (error) {
    // Busy past the timeout, a full disk: report it and try again later. Searches stay exact
    // meanwhile (they read what the index does not cover directly).
    port?.postMessage({ type: 'error', message: String(error) } satisfies IndexerMessage);
    schedule(data.idleMs * 5, tick);
  }
}

/** Idle: one look at data_version (it moves on any other connection's commit) before any work. */
function idleTick(): void {
  const pruneWaits = pruneDue && Date.now() - lastPrune >= data.pruneEveryMs;
  if (!pruneWaits && dataVersion.get() === lastVersion && fileIdentity(data.indexFile) === open?.identity) {
    schedule(data.idleMs, idleTick);
    return;
  }
  tick();
}

port.on('message', () => {
  closed = true;
  clearTimeout(timer);
  open?.index.close();
  main.close();
  port.close();
});

tick();
