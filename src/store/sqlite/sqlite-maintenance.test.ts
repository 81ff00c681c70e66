import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LogLine } from '../../core/model.js';
import { openSqliteStores, type SqliteStores } from './open-sqlite-stores.js';

const opened: { stores: SqliteStores; dir: string }[] = [];
afterEach(async () => {
  for (const { stores, dir } of opened.splice(0)) {
    await stores.store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Opens the backend on a new temp dir, or on `sub` inside one (removed after the test either way). */
async function open(sub = ''): Promise<SqliteStores & { dataDir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-maintenance-'));
  const dataDir = path.join(dir, sub);
  const stores = await openSqliteStores({ dataDir });
  opened.push({ stores, dir });
  return { ...stores, dataDir };
}

const lines = (from: number, to: number): LogLine[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    seq: from + i,
    ts: 1_700_000_000_000,
    stream: 'stdout',
    stepId: null,
    text: `line ${from + i}`,
    flags: 0,
  }));

describe('SQLite maintenance', () => {
  it('creates the data dir and a WAL-mode stepflow.db with 16 KiB pages and the tuned PRAGMAs', async () => {
    const { store, maintenance, dataDir } = await open('nested/data');
    expect(fs.existsSync(path.join(dataDir, 'stepflow.db'))).toBe(true);
    expect(store.file).toBe(path.join(dataDir, 'stepflow.db'));
    const described = await maintenance.describe();
    expect(described).toMatchObject({ backend: 'sqlite', sqlite: { journalMode: 'wal', pageSize: 16384 } });
    expect(described.sqlite?.pageCount).toBeGreaterThan(0);
    expect(described.sqlite?.settings).toEqual({
      cacheSizeKiB: 32768,
      synchronous: 'NORMAL',
      tempStore: 'MEMORY',
      busyTimeoutMs: 5000,
      walAutocheckpointPages: 1024,
      journalSizeLimitBytes: 67108864,
      mmapSizeBytes: 0,
      foreignKeys: true,
    });
  });

  it('counts the rows of every table, a long run of lines as a few chunks, and sizes the files', async () => {
    const { store, jobs, maintenance } = await open();
    const e = await store.createExecution({ spec: { command: 'x', cwd: '/', tags: { a: '1', b: '2' } } });
    await store.write({ lines: [{ executionId: e.id, lines: lines(1, 2500) }] });
    await jobs.createJob({
      name: 'nightly',
      command: 'x',
      argv: null,
      cwd: '/',
      env: {},
      tags: {},
      timeoutSeconds: null,
      enabled: true,
      triggers: [{ kind: 'interval', intervalSeconds: 60 }],
      retry: { maxAttempts: 1, delaySeconds: 10, backoffFactor: 2, maxDelaySeconds: 600, onExitCodes: null },
      overlap: 'skip',
      maxConcurrentRuns: null,
      missedFire: 'skip',
      lateAfterSeconds: null,
      lateByP95: false,
      webhooks: [],
      runsOn: [],
      retryOnLost: false,
    });
    const described = await maintenance.describe();
    expect(described.rowCounts).toEqual({
      executions: 1,
      execution_tags: 2,
      steps: 0,
      log_chunks: 3,
      artifacts: 0,
      annotations: 0,
      resource_samples: 0,
      jobs: 1,
      job_triggers: 1,
      job_fires: 0,
      webhook_deliveries: 0,
      job_pending_retries: 0,
    });
    expect(described.dbBytes).toBeGreaterThan(0);
    expect(described.sqlite?.walBytes).toBeGreaterThan(0);
    expect(described.diskFreeBytes).toBeGreaterThan(0);
    expect(await maintenance.sizes()).toEqual({
      backend: 'sqlite',
      dbBytes: described.dbBytes,
      diskFreeBytes: expect.any(Number),
      sqlite: { walBytes: described.sqlite?.walBytes },
    });
  });

  it('folds the WAL back into the database on optimize, and says so', async () => {
    const { store, maintenance } = await open();
    const e = await store.createExecution({ spec: { command: 'x', cwd: '/' } });
    await store.write({ lines: [{ executionId: e.id, lines: lines(1, 100) }] });
    const result = await maintenance.optimize();
    expect(result).toMatchObject({
      optimized: true,
      sqlite: { checkpoint: { busy: false }, walBytesAfter: 0 },
    });
    expect(result.sqlite?.walBytesBefore).toBeGreaterThan(0);
    expect(result.actions).toEqual([
      expect.stringContaining('PRAGMA optimize'),
      expect.stringMatching(
        /^wal_checkpoint\(TRUNCATE\): copied the WAL into the database and truncated it \(WAL \d+ → 0 bytes\)$/,
      ),
    ]);
    expect((await store.readLog(e.id)).lines).toHaveLength(100);
  });

  it('checkpoints from a worker thread once it has written a lot, and truncates the WAL when writes stop', async () => {
    const { store, maintenance } = await open();
    const e = await store.createExecution({ spec: { command: 'x', cwd: '/' } });
    expect((await maintenance.describe()).sqlite?.settings.walAutocheckpointPages).toBe(1024);
    await store.write({ lines: [{ executionId: e.id, lines: lines(1, 100) }] });
    // From the first write the main connection no longer checkpoints inside its commits; a short
    // run's few commits are not worth a thread (its start and stop cost more at exit): the WAL
    // waits for the close.
    expect((await maintenance.describe()).sqlite?.settings.walAutocheckpointPages).toBe(0);
    // 1.2 MiB of log text: the worker starts and folds the WAL back.
    const long = lines(101, 12_100).map((line) => ({ ...line, text: line.text.padEnd(100, '.') }));
    await store.write({ lines: [{ executionId: e.id, lines: long }] });
    expect((await maintenance.describe()).sqlite?.settings.walAutocheckpointPages).toBe(0);
    expect((await maintenance.sizes()).sqlite?.walBytes).toBeGreaterThan(0);
    await vi.waitFor(async () => expect((await maintenance.sizes()).sqlite?.walBytes).toBe(0), {
      timeout: 8000,
      interval: 100,
    });
    expect((await store.readLog(e.id, { limit: 10_000 })).lines).toHaveLength(10_000);
    expect((await store.readLog(e.id, { after: 12_099 })).lines.map((line) => line.seq)).toEqual([12_100]);
  }, 10_000);

  it('finds no damage in a sound database, and names the rows an index lost', async () => {
    const { store, maintenance, dataDir } = await open();
    const e = await store.createExecution({ spec: { command: 'x', cwd: '/' } });
    await store.write({ lines: [{ executionId: e.id, lines: lines(1, 100) }] });
    expect(await maintenance.integrityCheck()).toEqual({ ok: true, problems: [] });

    // Damage of our own making, in a table StepFlow never reads: an index that no longer matches
    // its table (its definition rewritten behind SQLite's back).
    const other = new Database(path.join(dataDir, 'stepflow.db'));
    other.exec('CREATE TABLE damaged (a, b); CREATE INDEX damaged_a ON damaged (a)');
    other.exec('INSERT INTO damaged VALUES (1, 10), (2, 20)');
    other.unsafeMode(true);
    other.pragma('writable_schema = ON');
    other
      .prepare(
        "UPDATE sqlite_master SET sql = 'CREATE INDEX damaged_a ON damaged (b)' WHERE name = 'damaged_a'",
      )
      .run();
    other.close();

    expect(await maintenance.integrityCheck()).toEqual({
      ok: false,
      problems: ['row 1 missing from index damaged_a', 'row 2 missing from index damaged_a'],
    });
  });

  it('runs one integrity check at a time: callers meanwhile share its report', async () => {
    const { maintenance } = await open();
    const [a, b] = await Promise.all([maintenance.integrityCheck(), maintenance.integrityCheck()]);
    expect(a).toEqual({ ok: true, problems: [] });
    expect(b).toBe(a);
    // Once it is over, the next call checks again.
    expect(await maintenance.integrityCheck()).not.toBe(a);
  });

  it('refuses every call once the store is closed', async () => {
    const { store, jobs, maintenance } = await open();
    await store.close();
    for (const call of [
      maintenance.sizes(),
      maintenance.describe(),
      maintenance.optimize(),
      maintenance.integrityCheck(),
      jobs.listJobs(),
    ]) {
      await expect(call).rejects.toMatchObject({ code: 'store_unavailable' });
    }
  });
});
