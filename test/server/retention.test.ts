import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionOf } from '../../src/core/model.js';
import type { ExecutionDetailBody } from '../../src/protocol/api-schemas.js';
import type { RetentionReportBody, RetentionStatusBody } from '../../src/protocol/retention-schemas.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { call, getExecution, startExecution, waitForStatus } from './execution-api-client.js';

const DAY = 86_400_000;
const LINES = 20_000;
// ~5 MB of log and a 100 kB artifact per run: enough for the file to shrink measurably. Random
// base64, which packing cannot shrink below ~3/4 (the store packs long log chunks).
const SCRIPT = `head -c 100000 /dev/zero > out.bin; echo ARTIFACT:out.bin:data; head -c ${LINES * 250 * 0.75} /dev/urandom | base64 -w 250`;

let server: TestServer;
let workDir: string;
const runs: Record<'old' | 'middle' | 'pinned' | 'young', ExecutionDetailBody> = {} as never;

/** A run that really ran, then made to have ended `daysAgo` days ago (written through the store). */
async function runEndedDaysAgo(daysAgo: number): Promise<ExecutionDetailBody> {
  const { id } = await startExecution(server.url, { command: SCRIPT, cwd: workDir });
  const done = await waitForStatus(server.url, id, ['succeeded'], 30_000);
  const detail = await server.stepflow.store.getExecution(id);
  if (detail === undefined) throw new Error(`${id} not stored`);
  await server.stepflow.store.write({
    executions: [{ ...executionOf(detail), endedAt: new Date(Date.now() - daysAgo * DAY).toISOString() }],
  });
  return done;
}

const dbFile = (): string => path.join(server.dataDir, 'stepflow.db');
const sweep = (dryRun: boolean) =>
  call<RetentionReportBody>(server.url, 'POST', `/api/health/retention/sweep${dryRun ? '?dryRun=true' : ''}`);

beforeAll(async () => {
  server = await startTestServer({ config: { retention: { days: 30, logDays: 7, artifactDays: 7 } } });
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-retention-work-'));
  runs.old = await runEndedDaysAgo(40);
  runs.middle = await runEndedDaysAgo(10);
  runs.pinned = await runEndedDaysAgo(40);
  runs.young = await runEndedDaysAgo(1);
  expect((await call(server.url, 'POST', `/api/executions/${runs.pinned.id}/pin`)).status).toBe(200);
  // Everything committed and folded into the database file before it is measured.
  expect((await call(server.url, 'POST', '/api/health/optimize')).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await server?.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe('retention end to end (real server, runs ended long ago)', () => {
  let dry: RetentionReportBody;

  it('a dry run changes nothing and reports what it would free', async () => {
    const sizeBefore = fs.statSync(dbFile()).size;
    const response = await sweep(true);
    expect(response.status).toBe(200);
    dry = response.body;
    expect(dry).toMatchObject({
      dryRun: true,
      runsExamined: 4,
      runsDeleted: 1,
      logsDropped: 1,
      artifactsDropped: 1,
    });
    // Two runs' logs (~4 MB each) and two artifacts of 100 kB.
    expect(dry.freedBytes.logs).toBeGreaterThan(2 * LINES * 200);
    expect(dry.freedBytes.artifacts).toBe(200_000);
    expect(dry.summary).toMatch(
      /^would free \d\.\d MB: 1 run deleted, logs of 1 dropped, artifacts of 1 dropped/,
    );
    expect(dry.database).toBeUndefined();
    for (const run of Object.values(runs)) {
      const detail = await getExecution(server.url, run.id);
      expect(detail.logExpiredAt).toBeUndefined();
      expect(detail.artifacts[0]?.status).toBe('stored');
    }
    expect(fs.statSync(dbFile()).size).toBe(sizeBefore);
    expect(
      (await call<RetentionStatusBody>(server.url, 'GET', '/api/health/retention')).body.lastSweep,
    ).toBeNull();
  });

  it('a sweep deletes, drops logs and artifacts, keeps the pinned run, and the file shrinks', async () => {
    const sizeBefore = fs.statSync(dbFile()).size;
    const response = await sweep(false);
    expect(response.status).toBe(200);
    const report = response.body;
    expect(report).toMatchObject({
      dryRun: false,
      runsDeleted: 1,
      logsDropped: 1,
      artifactsDropped: 1,
      freedBytes: dry.freedBytes,
    });
    expect(report.summary).toMatch(
      /^freed \d\.\d MB: 1 run deleted, logs of 1 dropped, artifacts of 1 dropped/,
    );

    // Deleted: gone with its files.
    expect((await call(server.url, 'GET', `/api/executions/${runs.old.id}`)).status).toBe(404);
    expect(fs.existsSync(path.join(server.dataDir, 'artifacts', runs.old.id))).toBe(false);

    // Log dropped: the record stays and the log says it expired (not an empty log).
    const middle = await getExecution(server.url, runs.middle.id);
    expect(middle.status).toBe('succeeded');
    expect(middle.lineCount).toBe(runs.middle.lineCount);
    expect(middle.logExpiredAt).toBe(report.startedAt);
    const page = await call<{ lines: unknown[]; expiredAt?: string }>(
      server.url,
      'GET',
      `/api/executions/${runs.middle.id}/logs`,
    );
    expect(page.body).toMatchObject({ lines: [], expiredAt: report.startedAt });
    const text = await call<{ error: { code: string; message: string } }>(
      server.url,
      'GET',
      `/api/executions/${runs.middle.id}/logs?format=text`,
    );
    expect(text.status).toBe(410);
    expect(text.body.error.code).toBe('expired');
    expect(text.body.error.message).toContain('dropped by retention');

    // Artifact dropped: 410 with a JSON reason, its record kept as expired.
    expect(middle.artifacts[0]).toMatchObject({ status: 'expired', path: 'out.bin', size: 100_000 });
    const download = await call<{ error: { code: string } }>(
      server.url,
      'GET',
      `/api/executions/${runs.middle.id}/artifacts/${middle.artifacts[0]?.id}`,
    );
    expect(download.status).toBe(410);
    expect(download.body.error.code).toBe('expired');
    expect(fs.existsSync(path.join(server.dataDir, 'artifacts', runs.middle.id))).toBe(false);

    // Pinned (and older than every limit) and young: whole.
    for (const run of [runs.pinned, runs.young]) {
      const detail = await getExecution(server.url, run.id);
      expect(detail.logExpiredAt).toBeUndefined();
      const log = await call<{ lines: unknown[] }>(
        server.url,
        'GET',
        `/api/executions/${run.id}/logs?limit=10`,
      );
      expect(log.body.lines).toHaveLength(10);
      const file = await fetch(`${server.url}/api/executions/${run.id}/artifacts/${detail.artifacts[0]?.id}`);
      expect(file.status).toBe(200);
      expect((await file.arrayBuffer()).byteLength).toBe(100_000);
    }
    expect((await getExecution(server.url, runs.pinned.id)).pinned).toBe(true);

    // The file gave the space back (incremental vacuum), not only its free list.
    expect(report.database?.incremental).toBe(true);
    const sizeAfter = fs.statSync(dbFile()).size;
    expect(sizeBefore - sizeAfter).toBeGreaterThan(5_000_000);

    const status = await call<RetentionStatusBody>(server.url, 'GET', '/api/health/retention');
    expect(status.body.policy).toEqual({ days: 30, logDays: 7, artifactDays: 7 });
    expect(status.body.lastSweep).toMatchObject({ runsDeleted: 1, summary: report.summary });

    // Prometheus counts what this server's sweeps removed (the dry run not included).
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain(
      `stepflow_retention_freed_bytes_total{kind="logs"} ${report.freedBytes.logs}\n`,
    );
    expect(metrics).toContain('stepflow_retention_freed_bytes_total{kind="artifacts"} 200000\n');
    expect(metrics).toContain('stepflow_retention_runs_expired_total{action="deleted"} 1\n');
    expect(metrics).toContain('stepflow_retention_runs_expired_total{action="log_dropped"} 1\n');
    expect(metrics).toContain('stepflow_retention_runs_expired_total{action="artifacts_dropped"} 1\n');
    expect(metrics).toContain('stepflow_retention_sweeps_total 1\n');

    // Again: nothing left to do.
    expect((await sweep(false)).body).toMatchObject({ runsDeleted: 0, logsDropped: 0, artifactsDropped: 0 });
  });

  it('unpinning lets retention take the run; pinning a missing run is a 404 naming it', async () => {
    const unpinned = await call<ExecutionDetailBody>(
      server.url,
      'POST',
      `/api/executions/${runs.pinned.id}/unpin`,
    );
    expect(unpinned.status).toBe(200);
    expect(unpinned.body.pinned).toBeUndefined();
    expect((await sweep(false)).body).toMatchObject({ runsDeleted: 1 });
    expect((await call(server.url, 'GET', `/api/executions/${runs.pinned.id}`)).status).toBe(404);
    const missing = await call<{ error: { code: string; message: string } }>(
      server.url,
      'POST',
      '/api/executions/nope/pin',
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'not_found', message: expect.stringContaining('nope') });
  });
});
