import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, taggedPids } from '../../test/helpers/processes.js';
import { useTempDirs } from '../../test/helpers/temp-dir.js';
import { createProcessMonitor } from '../runner/process-monitor.js';
import { currentOwner } from '../runner/process-owner.js';
import { DATABASE_FILE, openDatabase } from '../store/sqlite/open-database.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { createEngine, type Engine } from './engine.js';
import { createEventBus } from './event-bus.js';
import { createStoreWriter, type StoreWriter } from './store-writer.js';

const tempDir = useTempDirs();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * The engine, bus and store writer wired as src/stepflow.ts wires them, on a real SQLite store
 * whose disk can be "filled" (`max_page_count` at its current size: growing writes fail with
 * SQLITE_FULL, as on a full file system).
 */
async function open(maxHeldBytes: number): Promise<{
  engine: Engine;
  writer: StoreWriter;
  store: SqliteStore;
  fill(): void;
  free(): void;
}> {
  const dataDir = tempDir();
  const db = await openDatabase(dataDir);
  const store = new SqliteStore(db, path.join(dataDir, DATABASE_FILE), () => new Date());
  const limit = db.pragma('max_page_count', { simple: true }) as number;
  const free = () => db.pragma(`max_page_count = ${limit}`);
  const monitor = createProcessMonitor();
  const bus = createEventBus();
  const owner = currentOwner();
  const writer = createStoreWriter({
    store,
    owner,
    maxHeldBytes,
    retryMinMs: 20,
    retryMaxMs: 200,
    log: () => {},
    onOverflow: (ids, reason) => ids.forEach((id) => engine.fail(id, reason)),
  });
  const unsubscribe = bus.subscribe(writer.handle);
  const engine = createEngine({
    store,
    bus,
    monitor,
    owner,
    dataDir,
    killGraceMs: 500,
    storeFailure: async () => {
      await writer.flush();
      return writer.failure();
    },
  });
  cleanups.push(async () => {
    free();
    await engine.shutdown();
    await writer.close();
    unsubscribe();
    monitor.close();
    await store.close();
  });
  return {
    engine,
    writer,
    store,
    fill: () => db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`),
    free,
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

// Long lines, so a few thousand need new database pages.
const PRINT = (count: number) => `for i in $(seq 1 ${count}); do printf 'line %s %0300d\\n' $i 0; done`;

describe('an execution while the store cannot commit', () => {
  it('ends failed with "disk full", kept in memory and recorded with its whole log once there is room', async () => {
    const { engine, writer, store, fill, free } = await open(64 * 1024 * 1024);
    const work = tempDir();
    const go = path.join(work, 'go');
    // Waits for the disk to be full, then prints and exits 0.
    const { execution, done } = await engine.submit({
      command: `while [ ! -f ${go} ]; do sleep 0.02; done; ${PRINT(3000)}; echo last`,
      cwd: work,
    });
    fill();
    fs.writeFileSync(go, '');
    const final = await done;
    expect(final.status).toBe('failed');
    expect(final.exitCode).toBe(0);
    expect(final.error).toMatch(/^disk full \(.*\): StepFlow could not save this run while it ran/);
    expect(writer.health().error?.code).toBe('store_full');
    // Nothing could be stored yet: the store does not know it ended.
    expect(await store.getExecution(execution.id)).toMatchObject({ endedAt: null, lineCount: 0 });

    free();
    await until(() => writer.health().error === null, 'the store to accept writes');
    const stored = await store.getExecution(execution.id);
    expect(stored).toMatchObject({ status: 'failed', error: final.error, lineCount: final.lineCount });
    const log = await store.readLog(execution.id, { limit: 10_000 });
    expect(log.lines).toHaveLength(final.lineCount);
    expect(log.lines.map((line) => line.text)).toContain('last');
    expect(log.lines.at(-1)).toMatchObject({ stream: 'system', text: `⚠ ${final.error}` });
  });

  it('is stopped once its output held in memory passes the bound, and ends failed, not cancelled', async () => {
    const { engine, writer, store, fill, free } = await open(1024 * 1024);
    const work = tempDir();
    const go = path.join(work, 'go');
    const { execution, done } = await engine.submit({
      command: `while [ ! -f ${go} ]; do sleep 0.02; done; while :; do ${PRINT(100)}; done`,
      cwd: work,
    });
    await until(() => taggedPids(execution.id).length > 0, 'the script to start');
    const pids = taggedPids(execution.id);
    fill();
    fs.writeFileSync(go, '');
    const final = await done;
    expect(final.status).toBe('failed');
    expect(final.error).toMatch(
      /^disk full \(.*\): StepFlow could not save this run's output, so it stopped the run/,
    );
    expect(pids.filter(isAlive)).toEqual([]);
    expect(taggedPids(execution.id)).toEqual([]);
    // Bounded: the limit plus what the script printed while it was being stopped.
    expect(writer.health().heldBytes).toBeLessThan(64 * 1024 * 1024);

    free();
    await until(() => writer.health().error === null, 'the store to accept writes');
    expect(await store.getExecution(execution.id)).toMatchObject({ status: 'failed', error: final.error });
    const log = await store.readLog(execution.id, { after: final.lineCount - 2 });
    expect(log.lines.map((line) => line.text)).toEqual([
      'Stopped: the process tree was ended.',
      `⚠ ${final.error}`,
    ]);
  });
});
