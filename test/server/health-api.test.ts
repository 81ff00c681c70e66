import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../src/version.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';

const start = useTestServers();

/** The body stays loosely typed: the assertions below are what check its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function getJson(
  server: TestServer,
  path: string,
  init?: RequestInit,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${server.url}${path}`, init);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: response.status, body: await response.json() };
}

/** Runs a command to its end through the engine, as the API would. */
async function runToEnd(server: TestServer, command: string): Promise<{ id: string; lineCount: number }> {
  const submitted = await server.stepflow.engine.submit({ command, cwd: os.tmpdir() });
  const final = await submitted.done;
  await server.stepflow.writer.flush();
  return final;
}

describe('GET /api/health', () => {
  it('answers ok with the version and uptime while the database is usable', async () => {
    const server = await start();
    const { status, body } = await getJson(server, '/api/health');
    expect(status).toBe(200);
    expect(body).toEqual({ status: 'ok', version: VERSION, uptimeSeconds: expect.any(Number) });
    expect(body.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });

  it('answers 503 unavailable with the store error once the database is closed', async () => {
    const server = await start();
    await server.stepflow.store.close();
    const { status, body } = await getJson(server, '/api/health');
    expect(status).toBe(503);
    expect(body).toEqual({
      status: 'unavailable',
      version: VERSION,
      uptimeSeconds: expect.any(Number),
      error: { code: 'store_unavailable', message: expect.stringContaining('closed') },
    });
  });
});

describe('GET /api/health/metrics', () => {
  it('counts executions by status, lines ingested, and reports database and process figures', async () => {
    const server = await start();
    const done = await runToEnd(server, 'seq 1 500');
    expect(done.lineCount).toBe(500);
    const { status, body } = await getJson(server, '/api/health/metrics');
    expect(status).toBe(200);
    expect(body.executions).toEqual({
      byStatus: {
        queued: 0,
        running: 0,
        succeeded: 1,
        failed: 0,
        cancelled: 0,
        timed_out: 0,
        interrupted: 0,
        lost: 0,
      },
      active: 0,
      queued: 0,
    });
    expect(body.ingest.linesTotal).toBe(500);
    expect(body.ingest.linesPerSecond).toBeGreaterThanOrEqual(0);
    expect(body.websocketClients).toBe(0);
    // Backend-neutral figures at the top, SQLite's own under `sqlite`.
    expect(body.database).toEqual({
      backend: 'sqlite',
      dbBytes: expect.any(Number),
      diskFreeBytes: expect.any(Number),
      sqlite: { walBytes: expect.any(Number) },
    });
    expect(body.database.dbBytes).toBeGreaterThan(0);
    expect(body.database.diskFreeBytes).toBeGreaterThan(0);
    expect(body.database.sqlite.walBytes).toBeGreaterThan(0);
    expect(body.process).toEqual({
      uptimeSeconds: expect.any(Number),
      rssBytes: expect.any(Number),
      heapUsedBytes: expect.any(Number),
      intervalMs: expect.any(Number),
      cpuPercent: expect.any(Number),
      eventLoopDelayMs: { p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) },
    });
    expect(body.process.rssBytes).toBeGreaterThan(0);
    expect(body.process.eventLoopDelayMs.max).toBeGreaterThanOrEqual(body.process.eventLoopDelayMs.p50);
  });

  it('tells running executions from queued ones', async () => {
    const server = await start({ config: { maxConcurrent: 1 } });
    const first = await server.stepflow.engine.submit({ command: 'sleep 30', cwd: os.tmpdir() });
    const second = await server.stepflow.engine.submit({ command: 'sleep 30', cwd: os.tmpdir() });
    const { body } = await getJson(server, '/api/health/metrics');
    expect(body.executions).toMatchObject({ active: 1, queued: 1 });
    expect(body.executions.byStatus).toMatchObject({ queued: 2 });
    server.stepflow.engine.cancel(second.execution.id);
    server.stepflow.engine.cancel(first.execution.id);
    await Promise.all([first.done, second.done]);
  });

  it('fails with 503 when the store is closed', async () => {
    const server = await start();
    await server.stepflow.store.close();
    const { status, body } = await getJson(server, '/api/health/metrics');
    expect(status).toBe(503);
    expect(body.error.code).toBe('store_unavailable');
  });
});

describe('GET /api/health/database', () => {
  it('shows size, free disk and row counts, and under `sqlite` journal mode, pages, WAL and settings', async () => {
    const server = await start();
    await runToEnd(server, 'seq 1 10');
    const { status, body } = await getJson(server, '/api/health/database');
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['backend', 'dbBytes', 'diskFreeBytes', 'rowCounts', 'sqlite']);
    expect(body).toMatchObject({
      backend: 'sqlite',
      rowCounts: { executions: 1, log_chunks: 1, steps: 1, jobs: 0 },
      sqlite: {
        journalMode: 'wal',
        pageSize: 16384,
        settings: { cacheSizeKiB: 32768, synchronous: 'NORMAL', foreignKeys: true, busyTimeoutMs: 5000 },
      },
    });
    expect(body.dbBytes).toBeGreaterThan(0);
    expect(body.diskFreeBytes).toBeGreaterThan(0);
    expect(body.sqlite.pageCount).toBeGreaterThan(0);
    expect(body.sqlite.freelistCount).toBeGreaterThanOrEqual(0);
    expect(body.sqlite.walBytes).toBeGreaterThan(0);
  });
});

describe('POST /api/health/optimize', () => {
  it('optimizes, folds the WAL into the database, and says what it did', async () => {
    const server = await start();
    await runToEnd(server, 'seq 1 100');
    const { status, body } = await getJson(server, '/api/health/optimize', { method: 'POST' });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      optimized: true,
      sqlite: { checkpoint: { busy: false }, walBytesAfter: 0 },
    });
    expect(body.sqlite.walBytesBefore).toBeGreaterThan(0);
    expect(body.actions).toEqual([
      expect.stringContaining('PRAGMA optimize'),
      expect.stringContaining('wal_checkpoint(TRUNCATE)'),
    ]);
    expect(body.durationMs).toBeGreaterThanOrEqual(0);
    expect((await getJson(server, '/api/health')).status).toBe(200);
  });
});

describe('POST /api/health/integrity-check', () => {
  it('finds nothing wrong with a sound database, then names the rows a damaged index lost', async () => {
    const server = await start();
    await runToEnd(server, 'seq 1 100');
    const sound = await getJson(server, '/api/health/integrity-check', { method: 'POST' });
    expect(sound).toEqual({ status: 200, body: { ok: true, problems: [], durationMs: expect.any(Number) } });

    // Real damage, in a table of its own (the server never reads it, so only the check sees it):
    // an index whose definition was rewritten behind SQLite's back no longer matches its rows.
    const db = new Database(path.join(server.dataDir, 'stepflow.db'));
    db.exec('CREATE TABLE damaged (a, b); CREATE INDEX damaged_a ON damaged (a)');
    db.exec('INSERT INTO damaged VALUES (1, 10), (2, 20)');
    db.unsafeMode(true);
    db.pragma('writable_schema = ON');
    db.prepare(
      "UPDATE sqlite_master SET sql = 'CREATE INDEX damaged_a ON damaged (b)' WHERE name = 'damaged_a'",
    ).run();
    db.close();

    const damaged = await getJson(server, '/api/health/integrity-check', { method: 'POST' });
    expect(damaged.status).toBe(200);
    expect(damaged.body).toMatchObject({
      ok: false,
      problems: ['row 1 missing from index damaged_a', 'row 2 missing from index damaged_a'],
    });
    // The server itself carries on.
    expect((await getJson(server, '/api/health')).body.status).toBe('ok');
  });

  it('fails with 503 when the store is closed', async () => {
    const server = await start();
    await server.stepflow.store.close();
    const { status, body } = await getJson(server, '/api/health/integrity-check', { method: 'POST' });
    expect(status).toBe(503);
    expect(body.error.code).toBe('store_unavailable');
  });
});

describe('GET /metrics', () => {
  it('serves StepFlow and process metrics in the Prometheus text format', async () => {
    const server = await start();
    await runToEnd(server, 'seq 1 42');
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const value = (series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      expect(line, `${series} in\n${text}`).toBeDefined();
      return Number(line!.slice(series.length + 1));
    };
    expect(value('stepflow_executions{status="succeeded"}')).toBe(1);
    expect(value('stepflow_executions{status="running"}')).toBe(0);
    expect(value('stepflow_executions_active')).toBe(0);
    expect(value('stepflow_executions_queued')).toBe(0);
    expect(value('stepflow_lines_ingested_total')).toBe(42);
    expect(value('stepflow_websocket_clients')).toBe(0);
    expect(value('stepflow_db_bytes')).toBeGreaterThan(0);
    expect(value('stepflow_wal_bytes')).toBeGreaterThanOrEqual(0);
    expect(value('stepflow_disk_free_bytes')).toBeGreaterThan(0);
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE stepflow_lines_ingested_total counter');
    expect(text).toContain('nodejs_eventloop_lag_p99_seconds');
  });

  it('says how long the oldest queued run has waited and how many workers are live, for alerts', async () => {
    // No runner here: a run waits for a worker, and none comes.
    const server = await start({ config: { runsLocally: false } });
    const series = async (name: string): Promise<number> => {
      const text = await fetch(`${server.url}/metrics`).then((r) => r.text());
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      expect(line, `${name} in\n${text}`).toBeDefined();
      return Number(line!.slice(name.length + 1));
    };
    expect(await series('stepflow_queue_oldest_seconds')).toBe(0);
    expect(await series('stepflow_workers_live')).toBe(0);
    const submitted = await fetch(`${server.url}/api/executions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'true', cwd: os.tmpdir() }),
    });
    expect(submitted.status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await series('stepflow_queue_oldest_seconds')).toBeGreaterThanOrEqual(1);
    expect(await series('stepflow_workers_live')).toBe(0);
  });

  it('keeps each server’s series apart (its own registry, not the global one)', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    await runToEnd(a, 'seq 1 7');
    const [textA, textB] = await Promise.all([
      fetch(`${a.url}/metrics`).then((r) => r.text()),
      fetch(`${b.url}/metrics`).then((r) => r.text()),
    ]);
    expect(textA).toContain('\nstepflow_lines_ingested_total 7\n');
    expect(textB).toContain('\nstepflow_lines_ingested_total 0\n');
  });
});
