import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../../core/model.js';
import { describeStoreContract } from '../store-contract.js';
import { MIGRATIONS } from './migrations.js';
import { DATABASE_FILE, openDatabase } from './open-database.js';
import { openSqliteStore, SqliteStore } from './sqlite-store.js';
import type { SqliteStoreOptions } from './sqlite-store.js';

const tempDirs: string[] = [];
const makeTempDir = (): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-sqlite-store-'));
  tempDirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describeStoreContract('sqlite', async () => {
  const dataDir = makeTempDir();
  // Opened by hand to keep the connection: a full disk is simulated on it with max_page_count,
  // which makes SQLite fail a growing write with SQLITE_FULL, as ENOSPC does.
  const db = await openDatabase(dataDir);
  const stores: SqliteStore[] = [new SqliteStore(db, path.join(dataDir, DATABASE_FILE), () => new Date())];
  return {
    store: stores[0] as SqliteStore,
    async fill() {
      const limit = db.pragma('max_page_count', { simple: true }) as number;
      db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
      return async () => {
        db.pragma(`max_page_count = ${limit}`);
      };
    },
    async openAnother() {
      const store = await openSqliteStore({ dataDir });
      stores.push(store);
      return store;
    },
    async cleanup() {
      for (const store of stores) await store.close();
    },
  };
});

describe('SqliteStore', () => {
  const opened: SqliteStore[] = [];
  const open = async (options: Partial<SqliteStoreOptions> = {}): Promise<SqliteStore> => {
    const store = await openSqliteStore({ dataDir: makeTempDir(), ...options });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  const lines = (from: number, to: number, text = (seq: number) => `line ${seq}`): LogLine[] =>
    Array.from({ length: to - from + 1 }, (_, i) => ({
      seq: from + i,
      ts: 1_700_000_000_000,
      stream: 'stdout',
      stepId: null,
      text: text(from + i),
      flags: 0,
    }));

  it('serves a repeated listing from memory until any connection commits', async () => {
    const dataDir = makeTempDir();
    const store = await open({ dataDir });
    const other = await open({ dataDir });
    const spec = { name: 'a', command: 'a', cwd: '/' };
    const first = await store.createExecution({ spec, status: 'running' });
    const page = await store.listExecutions({ limit: 10 });
    // Nothing changed: the very same page (the server serializes it once).
    expect(await store.listExecutions({ limit: 10 })).toBe(page);

    // Another connection's commit (another process's, e.g. `stepflow run`) is seen.
    await other.write({ lines: [{ executionId: first.id, lines: lines(1, 3) }] });
    const afterOther = await store.listExecutions({ limit: 10 });
    expect(afterOther).not.toBe(page);
    expect(afterOther.items[0]?.lineCount).toBe(3);

    // And so is this connection's own write.
    await store.createExecution({ spec: { ...spec, name: 'b' }, status: 'queued' });
    expect((await store.listExecutions({ limit: 10 })).items.map((e) => e.name)).toEqual(['b', 'a']);
  });

  it('keeps its change marker through its own commits: an owner polling for cancel requests skips its query', async () => {
    const dataDir = makeTempDir();
    const store = await open({ dataDir });
    const other = await open({ dataDir });
    const owner = { host: 'h', pid: 1, startTime: 1 };
    const e = await store.createExecution({ spec: { command: 'a', cwd: '/' }, status: 'running', owner });
    const marker = await store.changeMarker();
    await store.write({
      lines: [{ executionId: e.id, lines: lines(1, 100) }],
      ownerSeen: { owner, at: e.createdAt },
    });
    await store.requestCancel(e.id, e.createdAt);
    expect(await store.changeMarker()).toBe(marker);
    await other.write({ lines: [{ executionId: e.id, lines: lines(101, 102) }] });
    expect(await store.changeMarker()).not.toBe(marker);
  });

  it('migrates a new database to the latest version once, and reopens without migrating again', async () => {
    const dataDir = makeTempDir();
    await (await openSqliteStore({ dataDir })).close();
    await (await openSqliteStore({ dataDir })).close();
    const db = new Database(path.join(dataDir, 'stepflow.db'));
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    } finally {
      db.close();
    }
  });

  it('refuses a database from a newer StepFlow', async () => {
    const dataDir = makeTempDir();
    await (await openSqliteStore({ dataDir })).close();
    const db = new Database(path.join(dataDir, 'stepflow.db'));
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    await expect(openSqliteStore({ dataDir })).rejects.toMatchObject({
      code: 'store_unavailable',
      message: expect.stringContaining('newer'),
    });
  });

  it('reports a file that is not a database as corrupt', async () => {
    const dataDir = makeTempDir();
    fs.writeFileSync(path.join(dataDir, 'stepflow.db'), 'this is not a database, just some text'.repeat(200));
    await expect(openSqliteStore({ dataDir })).rejects.toMatchObject({ code: 'store_corrupt' });
  });

  it('rejects calls after close with store_unavailable, and closes twice without error', async () => {
    const store = await open();
    await store.close();
    await store.close();
    await expect(store.listExecutions()).rejects.toMatchObject({ code: 'store_unavailable' });
    await expect(store.write({})).rejects.toMatchObject({ code: 'store_unavailable' });
  });

  it('uses its clock for createdAt, and as the latest end a recovered execution can get', async () => {
    let now = new Date('2024-05-01T12:00:00.000Z');
    const store = await open({ now: () => now });
    const create = () =>
      store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running', owner: null });
    const quiet = await create();
    const ahead = await create();
    expect(quiet.createdAt).toBe('2024-05-01T12:00:00.000Z');
    // A line stamped by a clock that runs ahead of the store's.
    const [late] = lines(1, 1);
    await store.write({
      lines: [{ executionId: ahead.id, lines: [{ ...late!, ts: Date.parse('2024-05-01T12:00:09Z') }] }],
    });
    now = new Date('2024-05-01T12:00:05.250Z');
    expect((await store.recoverInterrupted(() => true)).sort()).toEqual([quiet.id, ahead.id].sort());
    // Nothing since its start: it ended then, not when the crash was noticed.
    expect(await store.getExecution(quiet.id)).toMatchObject({
      status: 'interrupted',
      endedAt: '2024-05-01T12:00:00.000Z',
      durationMs: 0,
      error: 'the process running it died (owner unknown)',
    });
    expect(await store.getExecution(ahead.id)).toMatchObject({
      endedAt: '2024-05-01T12:00:05.250Z',
      durationMs: 5250,
    });
  });

  it('orders executions by createdAt even when an older one is created later', async () => {
    const store = await open();
    const newer = await store.createExecution({
      spec: { command: 'n', cwd: '/' },
      createdAt: '2024-02-01T00:00:00Z',
    });
    const older = await store.createExecution({
      spec: { command: 'o', cwd: '/' },
      createdAt: '2024-01-01T00:00:00Z',
    });
    const latest = await store.createExecution({ spec: { command: 'l', cwd: '/' } });
    expect((await store.listExecutions()).items.map((e) => e.id)).toEqual([latest.id, newer.id, older.id]);
    await expect(
      store.createExecution({ spec: { command: 'x', cwd: '/' }, createdAt: 'soon' }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });

  const realisticLines = (count: number): LogLine[] => {
    const kinds = [
      (n: number) =>
        `src/parser/scan_${n % 40}.c:${n % 2000}:7: warning: unused variable 'len' [-Wunused-variable]`,
      (n: number) => `  ✓ test/unit/cache.test.ts > cache > handles upload after retry ${n % 300}ms`,
      (n: number) =>
        `2026-12-04T16:${String(n % 60).padStart(2, '0')}:00.000Z INFO worker-${n % 8} processed batch ${n}`,
    ];
    return lines(1, count, (seq) => (kinds[seq % kinds.length] as (n: number) => string)(seq * 7919));
  };
  const packedChunks = (dataDir: string, id: string): { packed: number; plain: number } => {
    const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true });
    try {
      return db
        .prepare(
          `SELECT count(text_z) AS packed, count(*) - count(text_z) AS plain FROM log_chunks WHERE execution_id = ?`,
        )
        .get(id) as { packed: number; plain: number };
    } finally {
      db.close();
    }
  };
  const fileBytes = (dataDir: string): number =>
    ['', '-wal'].reduce((sum, suffix) => {
      const file = path.join(dataDir, DATABASE_FILE + suffix);
      return sum + (fs.existsSync(file) ? fs.statSync(file).size : 0);
    }, 0);

  it('packs the log text of ended runs: a fraction of its size on disk, read and searched as written; running runs stay as they are', async () => {
    const dataDir = makeTempDir();
    const store = await open({ dataDir });
    const ended = await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' });
    const running = await store.createExecution({ spec: { command: 'y', cwd: '/' }, status: 'running' });
    const all = realisticLines(20_000);
    for (let from = 0; from < all.length; from += 5000) {
      const slice = all.slice(from, from + 5000);
      await store.write({
        lines: [
          { executionId: ended.id, lines: slice },
          { executionId: running.id, lines: slice },
        ],
      });
    }
    await store.write({ executions: [{ ...ended, status: 'succeeded' }] });
    const rawBytes = all.reduce((sum, l) => sum + Buffer.byteLength(l.text) + 1, 0);
    const [before] = await store.measureRuns([ended.id]);
    const bytesBefore = fileBytes(dataDir);

    while (store.packLogs(1000));

    expect(packedChunks(dataDir, ended.id).plain).toBe(0);
    expect(packedChunks(dataDir, running.id).packed).toBe(0);
    // One run's text of two packed to ~30 %, and its pages handed back: the file is ~35 % smaller.
    await store.close();
    expect(fileBytes(dataDir)).toBeLessThan(bytesBefore - rawBytes / 2);
    const reopened = await open({ dataDir });
    // Retention counts the text's own bytes, packed or not.
    expect(await reopened.measureRuns([ended.id])).toEqual([before]);
    let read: LogLine[] = [];
    for (let after = 0; ;) {
      const page = await reopened.readLog(ended.id, { after, limit: 10_000 });
      read = read.concat(page.lines);
      if (!page.hasMore) break;
      after = page.nextAfter;
    }
    expect(read).toEqual(all);
    const text = await reopened.readLogText(ended.id, { limit: 10_000 });
    const rest = await reopened.readLogText(ended.id, { after: text.nextAfter, limit: 10_000 });
    expect(text.text.toString() + rest.text.toString()).toBe(all.map((l) => `${l.text}\n`).join(''));
    expect((await reopened.searchLog(ended.id, { text: 'WORKER-3 PROCESSED' })).lineTotal).toBe(
      all.filter((l) => l.text.includes('worker-3 processed')).length,
    );
    const filtered = await reopened.readLog(ended.id, { text: 'scan_7.c', limit: 10_000 });
    expect(filtered.lines).toEqual(all.filter((l) => l.text.includes('scan_7.c')));
    expect((await reopened.searchRuns({ text: 'handles upload after retry 17ms' })).items).toHaveLength(2);
  });

  it('packs when idle only: not while writes come, then on its own once they stop', async () => {
    const dataDir = makeTempDir();
    const store = await open({ dataDir });
    const e = await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' });
    await store.write({ lines: [{ executionId: e.id, lines: realisticLines(5000) }] });
    await store.write({ executions: [{ ...e, status: 'succeeded' }] });
    store.packLogsWhenIdle({ idleMs: 300, checkMs: 20 });
    const other = await store.createExecution({ spec: { command: 'y', cwd: '/' }, status: 'running' });
    for (let i = 0; i < 10; i++) {
      await store.write({ lines: [{ executionId: other.id, lines: lines(i + 1, i + 1) }] });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(packedChunks(dataDir, e.id).packed).toBe(0);
    const deadline = Date.now() + 10_000;
    while (packedChunks(dataDir, e.id).plain > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(packedChunks(dataDir, e.id)).toMatchObject({ plain: 0 });
    expect((await store.readLog(e.id, { limit: 10_000 })).lines).toEqual(realisticLines(5000));
  });

  it('reads plain rows (older versions, runs not packed yet) and packed ones side by side', async () => {
    const dataDir = makeTempDir();
    const store = await open({ dataDir });
    const e = await store.createExecution({ spec: { command: 'x', cwd: '/' }, status: 'running' });
    const packed = lines(1, 1000, (seq) => `a line ${seq}, packed once the run ended`);
    await store.write({ lines: [{ executionId: e.id, lines: packed }] });
    await store.write({ executions: [{ ...e, status: 'succeeded' }] });
    while (store.packLogs(1000));
    expect(packedChunks(dataDir, e.id)).toEqual({ packed: 1, plain: 0 });
    const old = lines(1001, 2000, (seq) => `an older version's line ${seq}, stored as it came`);
    const db = new Database(path.join(dataDir, DATABASE_FILE));
    try {
      db.prepare(
        `INSERT INTO log_chunks (execution_id, seq_start, seq_end, ts_start, stream, step_id, text)
          VALUES (?, 1001, 2000, ?, 'stdout', NULL, ?)`,
      ).run(e.id, 1_700_000_000_000, old.map((l) => l.text).join('\n'));
    } finally {
      db.close();
    }
    expect((await store.readLog(e.id, { limit: 10_000 })).lines).toEqual([...packed, ...old]);
    expect((await store.readLog(e.id, { text: 'line 999,' })).lines.map((l) => l.seq)).toEqual([999]);
    expect((await store.readLog(e.id, { text: 'line 1999,' })).lines.map((l) => l.seq)).toEqual([1999]);
    expect((await store.searchLog(e.id, { text: 'A LINE 7,' })).matches).toEqual([{ seq: 7, count: 1 }]);
    expect((await store.searchLog(e.id, { text: "OLDER VERSION'S LINE 1007," })).matches).toEqual([
      { seq: 1007, count: 1 },
    ]);
    expect((await store.searchRuns({ text: 'older version' })).items[0]?.total).toBe(1000);
    expect((await store.searchRuns({ text: 'packed once' })).items[0]?.total).toBe(1000);
  });

  it('finds text across chunk boundaries only within a line', async () => {
    const store = await open();
    const e = await store.createExecution({ spec: { command: 'x', cwd: '/' } });
    await store.write({
      lines: [{ executionId: e.id, lines: lines(1, 3, (seq) => ['ab', 'cd', 'bc'][seq - 1] ?? '') }],
    });
    expect((await store.readLog(e.id, { text: 'b\nc' })).lines).toEqual([]);
    expect((await store.readLog(e.id, { text: 'bc' })).lines.map((l) => l.seq)).toEqual([3]);
  });
});
