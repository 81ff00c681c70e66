import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDirs } from '../../test/helpers/temp-dir.js';
import type { Execution, ExecutionOwner, LogLine } from '../core/model.js';
import { DATABASE_FILE, openDatabase } from '../store/sqlite/open-database.js';
import { SqliteStore } from '../store/sqlite/sqlite-store.js';
import { createStoreWriter, type StoreWriter, type StoreWriterOptions } from './store-writer.js';

const tempDir = useTempDirs();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A real SQLite store whose disk can be "filled": `max_page_count` at the current size makes every
 * write that needs a new page fail with SQLITE_FULL, exactly as a full file system does.
 */
async function openFillableStore(): Promise<{ store: SqliteStore; fill(): void; free(): void }> {
  const dataDir = tempDir();
  const db: Database.Database = await openDatabase(dataDir);
  const store = new SqliteStore(db, path.join(dataDir, DATABASE_FILE), () => new Date());
  const limit = db.pragma('max_page_count', { simple: true }) as number;
  const free = () => db.pragma(`max_page_count = ${limit}`);
  cleanups.push(async () => {
    free();
    await store.close();
  });
  return {
    store,
    fill: () => db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`),
    free,
  };
}

function writerOn(store: SqliteStore, options: Partial<StoreWriterOptions> = {}) {
  const logged: string[] = [];
  const writer: StoreWriter = createStoreWriter({
    store,
    retryMinMs: 20,
    retryMaxMs: 100,
    log: (message) => logged.push(message),
    ...options,
  });
  cleanups.push(() => writer.close());
  return { writer, logged };
}

const lines = (from: number, to: number): LogLine[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    seq: from + i,
    ts: Date.now(),
    stream: 'stdout' as const,
    stepId: null,
    text: `line ${from + i} ${'x'.repeat(200)}`,
    flags: 0,
  }));

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('store writer on a store that cannot commit', () => {
  it('keeps the failed batch, retries it, and commits it with everything after it once there is room', async () => {
    const { store, fill, free } = await openFillableStore();
    const { writer, logged } = writerOn(store);
    const created = await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' });
    const id = created.id;
    fill();

    writer.handle({ type: 'log.lines', executionId: id, lines: lines(1, 3000) });
    const finished: Execution = {
      ...created,
      status: 'succeeded',
      endedAt: new Date().toISOString(),
      lineCount: 3500,
    };
    // A flush while the store fails settles (it never rejects) and holds on to the batch.
    await writer.flush();
    expect(writer.health()).toMatchObject({
      failingSince: expect.any(String),
      error: { code: 'store_full' },
      heldLines: 3000,
    });
    expect(writer.health().heldBytes).toBeGreaterThan(3000 * 200);
    expect(writer.failure()).toMatch(/^disk full \(.*full.*\): StepFlow could not save this run/);
    expect(logged.join('\n')).toMatch(/cannot commit to the store; keeping the batch and retrying/);

    writer.handle({ type: 'log.lines', executionId: id, lines: lines(3001, 3500) });
    writer.handle({ type: 'execution.finished', executionId: id, execution: finished });
    await writer.flush();
    expect(writer.health().heldLines).toBe(3500);
    expect(await store.getExecution(id)).toMatchObject({ status: 'running', lineCount: 0 });

    free();
    await until(() => writer.health().error === null, 'the writer to recover');
    expect(await store.getExecution(id)).toMatchObject({ status: 'succeeded', lineCount: 3500 });
    const stored = await store.readLog(id, { limit: 10_000 });
    expect(stored.lines.map((line) => line.seq)).toEqual(Array.from({ length: 3500 }, (_, i) => i + 1));
    expect(writer.health()).toMatchObject({
      failingSince: null,
      failedAttempts: 0,
      heldLines: 0,
      heldBytes: 0,
    });
    expect(writer.health().failedAttemptsTotal).toBeGreaterThanOrEqual(1);
    expect(writer.failure()).toBeNull();
    expect(logged.at(-1)).toMatch(/the store accepts writes again/);
  });

  it('hands the executions whose output is held to onOverflow once, past the bound', async () => {
    const { store, fill, free } = await openFillableStore();
    const stops: { ids: string[]; reason: string }[] = [];
    const { writer } = writerOn(store, {
      maxHeldBytes: 500_000,
      onOverflow: (ids, reason) => stops.push({ ids, reason }),
    });
    const spec = { spec: { command: 'x', cwd: '/' }, status: 'running' as const };
    const printing = await store.createExecution(spec);
    const quiet = await store.createExecution(spec);
    fill();

    writer.handle({ type: 'log.lines', executionId: printing.id, lines: lines(1, 1000) });
    writer.handle({
      type: 'resource.sampled',
      executionId: quiet.id,
      sample: { ts: Date.now(), cpuPercent: 0, memoryBytes: 1, processCount: 1 },
    });
    await writer.flush();
    expect(stops).toEqual([]);
    writer.handle({ type: 'log.lines', executionId: printing.id, lines: lines(1001, 3000) });
    expect(stops).toEqual([
      { ids: [printing.id], reason: expect.stringMatching(/^disk full .*stopped the run/) },
    ]);
    // What it prints while being stopped is kept, without asking again.
    writer.handle({ type: 'log.lines', executionId: printing.id, lines: lines(3001, 3100) });
    expect(stops).toHaveLength(1);

    free();
    await until(() => writer.health().error === null, 'the writer to recover');
    expect((await store.readLog(printing.id, { limit: 10_000 })).lines).toHaveLength(3100);
  });

  it('gives up on close after closeTimeoutMs, saying what was not saved', async () => {
    const { store, fill } = await openFillableStore();
    const { writer, logged } = writerOn(store, { closeTimeoutMs: 300 });
    const created = await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' });
    fill();
    writer.handle({ type: 'log.lines', executionId: created.id, lines: lines(1, 2000) });
    const started = Date.now();
    await writer.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(logged.join('\n')).toMatch(/giving up after 300 ms: 2000 log lines/);
    expect(logged.join('\n')).toContain(created.id);
  });
});

describe('store writer on a store that refuses a batch', () => {
  it('drops a batch that cannot succeed by waiting, so the writes after it are not stuck behind it', async () => {
    const { store } = await openFillableStore();
    const { writer, logged } = writerOn(store);
    const real = await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' });
    // Lines of an execution the store does not have (deleted meanwhile): refused with not_found.
    writer.handle({ type: 'log.lines', executionId: 'gone', lines: lines(1, 5) });
    await writer.flush();
    expect(logged.join('\n')).toMatch(/the store refused a batch; dropping it/);
    expect(writer.health().error).toBeNull();
    writer.handle({ type: 'log.lines', executionId: real.id, lines: lines(1, 5) });
    await writer.flush();
    expect((await store.readLog(real.id)).lines).toHaveLength(5);
  });
});

describe('owner heartbeat', () => {
  it('marks this owner’s open executions alive while they run, also when nothing is written', async () => {
    const { store } = await openFillableStore();
    const owner: ExecutionOwner = { host: 'here', pid: 123, startTime: 456 };
    const { writer } = writerOn(store, { owner, heartbeatMs: 200 });
    const created = await store.createExecution({
      spec: { command: 'x', cwd: '/' },
      status: 'running',
      owner,
    });
    const running: Execution = { ...created, startedAt: created.createdAt };
    writer.handle({ type: 'execution.started', executionId: created.id, execution: running });
    await writer.flush();
    const first = Date.parse((await store.lastSignOfLife(created.id))!);
    expect(first).toBeGreaterThan(Date.now() - 2000);

    await until(
      async () => Date.parse((await store.lastSignOfLife(created.id))!) >= first + 200,
      'a heartbeat while idle',
    );

    writer.handle({
      type: 'execution.finished',
      executionId: created.id,
      execution: { ...running, status: 'succeeded', endedAt: new Date().toISOString() },
    });
    await writer.flush();
    const last = await store.lastSignOfLife(created.id);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await store.lastSignOfLife(created.id)).toBe(last);
  });
});
