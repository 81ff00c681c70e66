import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { taggedPids } from '../../test/helpers/processes.js';
import { useTempDirs } from '../../test/helpers/temp-dir.js';
import { createProcessMonitor } from '../runner/process-monitor.js';
import { currentOwner } from '../runner/process-owner.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite/sqlite-store.js';
import { createCancelWatcher } from './cancel-watcher.js';
import { createEngine, type Engine } from './engine.js';
import { createEventBus } from './event-bus.js';
import { createStoreWriter } from './store-writer.js';

const tempDir = useTempDirs();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const INTERVAL_MS = 50;

/** An engine with its store writer and a watcher looking every 50 ms, plus another store on the same file. */
async function setUp(options: { maxConcurrent?: number } = {}) {
  const dataDir = tempDir();
  const store = await openSqliteStore({ dataDir });
  const another = await openSqliteStore({ dataDir });
  const bus = createEventBus();
  const monitor = createProcessMonitor();
  const owner = currentOwner();
  const writer = createStoreWriter({ store, owner });
  const unsubscribe = bus.subscribe(writer.handle);
  const engine: Engine = createEngine({
    store,
    bus,
    monitor,
    owner,
    dataDir,
    killGraceMs: 500,
    maxConcurrent: options.maxConcurrent ?? 10,
  });
  const looks = vi.spyOn(store, 'changeMarker');
  const queries = vi.spyOn(store, 'cancelRequests');
  const watcher = createCancelWatcher({ store, engine, bus, owner, intervalMs: INTERVAL_MS });
  cleanups.push(async () => {
    watcher.close();
    await engine.shutdown();
    await writer.close();
    unsubscribe();
    monitor.close();
    await another.close();
    await store.close();
  });
  return { dataDir, store: store as SqliteStore, another, engine, writer, looks, queries };
}

describe('cancel watcher', () => {
  it('does not look at the store while nothing runs, and stops looking once the runs have ended', async () => {
    const { engine, looks, dataDir } = await setUp();
    await sleep(INTERVAL_MS * 6);
    expect(looks).not.toHaveBeenCalled();

    const { done } = await engine.submit({ command: 'sleep 0.4', cwd: dataDir });
    await expect.poll(() => looks.mock.calls.length).toBeGreaterThanOrEqual(2);
    expect((await done).status).toBe('succeeded');
    await sleep(INTERVAL_MS * 3);
    const afterEnd = looks.mock.calls.length;
    await sleep(INTERVAL_MS * 8);
    expect(looks.mock.calls.length).toBe(afterEnd);
  });

  it('cancels a run within about an interval of a request another store records, and queries only when something changed', async () => {
    const { engine, another, looks, queries, dataDir } = await setUp();
    const { execution, done } = await engine.submit({ command: 'sleep 30 & wait', cwd: dataDir });
    await expect.poll(() => looks.mock.calls.length).toBeGreaterThanOrEqual(5);
    // This process's own commits (the run's rows, its heartbeat) do not count as news.
    expect(queries).toHaveBeenCalledTimes(1);
    expect(taggedPids(execution.id).length).toBeGreaterThan(0);

    const requestedAt = Date.now();
    await another.requestCancel(execution.id, new Date(requestedAt).toISOString());
    const final = await done;
    // One interval, then SIGTERM: the shell and its sleep die at once. Generous for a loaded machine.
    expect(Date.now() - requestedAt).toBeLessThan(1500);
    expect(final.status).toBe('cancelled');
    expect(final.error).toBe(
      'Cancelled: requested from another process (the dashboard, the API or stepflow cancel); ' +
        'the process tree was stopped.',
    );
    expect(queries.mock.calls.length).toBeGreaterThanOrEqual(2);
    await expect.poll(() => taggedPids(execution.id)).toEqual([]);
  });

  it('drops a queued run on request and leaves the others running', async () => {
    const { engine, another, writer, store, dataDir } = await setUp({ maxConcurrent: 1 });
    const first = await engine.submit({ command: 'sleep 30', cwd: dataDir });
    const second = await engine.submit({ command: 'echo never', cwd: dataDir });
    expect(second.execution.status).toBe('queued');

    await another.requestCancel(second.execution.id, new Date().toISOString());
    const final = await second.done;
    expect(final).toMatchObject({ status: 'cancelled', startedAt: null });
    expect(final.error).toMatch(/^Cancelled while queued: requested from another process/);
    await writer.flush();
    expect(await store.getExecution(second.execution.id)).toMatchObject({ status: 'cancelled' });
    expect(engine.active().map((e) => [e.id, e.status])).toEqual([[first.execution.id, 'running']]);
  });
});
