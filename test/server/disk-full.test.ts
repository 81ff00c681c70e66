import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogPageBody } from '../../src/protocol/api-schemas.js';
import { isAlive, taggedPids } from '../helpers/processes.js';
import { startServerOnSmallDisk, type ServerOnSmallDisk } from '../helpers/small-disk.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { call, getExecution, startExecution, waitFor, waitForStatus } from './execution-api-client.js';

const tempDir = useTempDirs();
const servers: ServerOnSmallDisk[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const health = async (url: string): Promise<{ status: number; body: Json }> => {
  const response = await call<Json>(url, 'GET', '/api/health');
  return { status: response.status, body: response.body };
};
const metric = async (url: string, name: string): Promise<number> => {
  const text = (await call<string>(url, 'GET', '/metrics')).text;
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return Number(match?.[1]);
};

/** A line of ~300 bytes every 10 ms until `stop` exists, then "last line". */
const printUntil = (stop: string) =>
  `i=0; while [ ! -f ${stop} ]; do i=$((i+1)); printf 'line %s %0300d\\n' $i 0; sleep 0.01; done; echo 'last line'`;

describe('the data dir on a full disk (built CLI on a small tmpfs: run `npm run build` first)', () => {
  it('keeps the run, reports degraded, and records the run failed with "disk full" once space is freed', async () => {
    const server = await startServerOnSmallDisk({ sizeMb: 24 });
    servers.push(server);
    const { url } = server;
    const work = tempDir();
    const stop = path.join(work, 'stop');
    const execution = await startExecution(url, { command: printUntil(stop), cwd: work });
    await waitFor(async () => {
      const page = await call<LogPageBody>(url, 'GET', `/api/executions/${execution.id}/logs`);
      return page.body.lines.length >= 10;
    }, 'ten committed lines');
    expect((await health(url)).body.status).toBe('ok');

    server.fill();
    const degraded = await waitFor(
      async () => {
        const answer = await health(url);
        return answer.body.status === 'degraded' && answer;
      },
      '/api/health to say degraded',
      30_000,
    );
    expect(degraded.status).toBe(200);
    expect(degraded.body.error.code).toBe('store_full');
    expect(degraded.body.error.message).toMatch(/^disk full: new log lines and run ends cannot be saved/);
    expect(degraded.body.writes).toMatchObject({
      failingSince: expect.any(String),
      error: { code: 'store_full' },
    });
    const metrics = (await call<Json>(url, 'GET', '/api/health/metrics')).body;
    expect(metrics.writes.error.code).toBe('store_full');
    expect(metrics.database.diskFreeBytes).toBeLessThan(64 * 1024);
    expect(await metric(url, 'stepflow_store_writes_failing')).toBe(1);
    expect(await metric(url, 'stepflow_store_write_failures_total')).toBeGreaterThanOrEqual(1);
    expect((await call<Json>(url, 'GET', '/api/health/database')).body.diskFreeBytes).toBeLessThan(64 * 1024);

    // The script ends while nothing can be saved: its end is held, not lost.
    const pids = taggedPids(execution.id);
    fs.writeFileSync(stop, '');
    await waitFor(async () => pids.every((pid) => !isAlive(pid)), 'the script to end');
    expect((await health(url)).body.status).toBe('degraded');
    const meanwhile = await getExecution(url, execution.id);
    expect(meanwhile.status).toBe('running');

    server.free();
    const ended = await waitForStatus(url, execution.id, ['succeeded', 'failed', 'cancelled'], 30_000);
    expect(ended.status).toBe('failed');
    expect(ended.exitCode).toBe(0);
    expect(ended.error).toMatch(/^disk full \(.*\): StepFlow could not save this run while it ran/);
    await waitFor(
      async () => (await health(url)).body.status === 'ok',
      '/api/health to say ok again',
      30_000,
    );
    expect(await metric(url, 'stepflow_store_writes_failing')).toBe(0);
    // Every line printed is stored, the ones held in memory included.
    const log = await call<LogPageBody>(url, 'GET', `/api/executions/${execution.id}/logs?limit=10000`);
    expect(log.body.lines).toHaveLength(ended.lineCount);
    expect(log.body.lines.map((line) => line.seq)).toEqual(
      Array.from({ length: ended.lineCount }, (_, i) => i + 1),
    );
    expect(log.body.lines.map((line) => line.text)).toContain('last line');
  }, 120_000);

  it('stops a script whose output piles up past STEPFLOW_WRITE_BUFFER_MB, and records it failed', async () => {
    const server = await startServerOnSmallDisk({ sizeMb: 24, env: { STEPFLOW_WRITE_BUFFER_MB: '1' } });
    servers.push(server);
    const { url } = server;
    const work = tempDir();
    const go = path.join(work, 'go');
    // Silent until told, then prints as fast as it can, forever.
    const execution = await startExecution(url, {
      command: `while [ ! -f ${go} ]; do sleep 0.02; done; while :; do printf '%01000d\\n' 0; done`,
      cwd: work,
    });
    const pids = await waitFor(async () => {
      const found = taggedPids(execution.id);
      return found.length > 0 && found;
    }, 'the script to start');

    server.fill();
    fs.writeFileSync(go, '');
    await waitFor(async () => pids.every((pid) => !isAlive(pid)), 'the server to stop the script', 30_000);
    expect(taggedPids(execution.id)).toEqual([]);
    expect((await health(url)).body).toMatchObject({ status: 'degraded', error: { code: 'store_full' } });

    server.free();
    const ended = await waitForStatus(url, execution.id, ['succeeded', 'failed', 'cancelled'], 30_000);
    expect(ended.status).toBe('failed');
    expect(ended.error).toMatch(
      /^disk full \(.*\): StepFlow could not save this run's output, so it stopped the run once more than 1 MiB/,
    );
    await waitFor(
      async () => (await health(url)).body.status === 'ok',
      '/api/health to say ok again',
      30_000,
    );
  }, 120_000);
});
