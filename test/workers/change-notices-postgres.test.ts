import { hostname } from 'node:os';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import type { ExecutionEvent } from '../../src/core/events.js';
import type { LogLine } from '../../src/core/model.js';
import type { RemoteExecution } from '../../src/protocol/remote-schemas.js';
import { usePostgres } from '../helpers/postgres.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, startExecution } from '../server/execution-api-client.js';

// Two API replicas (real servers in this process) on one real PostgreSQL database, linked by
// nothing but the database: what replica B hears of commits made through replica A. Polling is set
// far longer than the test waits, so only the change notices (LISTEN/NOTIFY) can explain a wake-up.

const postgres = usePostgres();
const startServer = useTestServers();

async function replicas() {
  const url = await postgres().createDatabase();
  const config = { database: { url, poolSize: 4 }, runsLocally: false };
  const a = await startServer({ config });
  const b = await startServer({ config });
  return { a, b };
}

const remoteRun = (): RemoteExecution => {
  const now = new Date().toISOString();
  return {
    id: ulid().toLowerCase(),
    name: 'reported to A',
    command: 'make test',
    argv: null,
    cwd: '/srv/app',
    tags: {},
    status: 'running',
    exitCode: null,
    signal: null,
    error: null,
    createdAt: now,
    startedAt: now,
    endedAt: null,
    durationMs: null,
    timeoutSeconds: null,
    meta: {},
    estimatedDurationSeconds: null,
    lateAfterSeconds: null,
    owner: { host: 'build-host', pid: 4242, startTime: 99 },
    lineCount: 0,
    resources: null,
    jobId: null,
    attempt: null,
    retryOfId: null,
    scheduledAt: null,
    rerunOf: null,
    resumeFrom: null,
    summary: null,
  };
};

const lines = (from: number, to: number): LogLine[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    seq: from + i,
    ts: Date.now(),
    stream: 'stdout' as const,
    stepId: null,
    text: `line ${from + i}`,
    flags: 0,
  }));

function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`${what}: not within ${timeoutMs} ms`));
      setTimeout(check, 2);
    };
    check();
  });
}

describe('change notices between replicas on PostgreSQL', () => {
  it('a watcher on replica B gets the lines reported to replica A within 300 ms, with B polling only every minute', async () => {
    const { a, b } = await replicas();
    const run = remoteRun();
    expect((await call(a.url, 'POST', '/api/remote/executions', { execution: run })).status).toBe(201);

    const errors: unknown[] = [];
    const source = b.stepflow.app.openLiveSource({ pollMs: 60_000, onError: (e) => errors.push(e) });
    const seen: number[] = [];
    source.subscribe((event) => {
      const e = event as ExecutionEvent;
      if (e.type === 'log.lines' && e.executionId === run.id) seen.push(...e.lines.map((l) => l.seq));
    });
    const interest = source.follow(run.id);
    await interest.ready;

    const latencies: number[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        const last = (i + 1) * 20;
        const reply = await call(a.url, 'POST', `/api/remote/executions/${run.id}/batches`, {
          lines: lines(i * 20 + 1, last),
        });
        expect(reply.status).toBe(200);
        const storedAt = Date.now();
        // Generous for a loaded machine; a poll would take a minute.
        await until(() => seen.at(-1) === last, 3000, `lines up to ${last} on B`);
        latencies.push(Date.now() - storedAt);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      interest.release();
      source.close();
    }
    console.log(`report stored on A → event on B: ${latencies.join(', ')} ms`);
    expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(Math.max(...latencies)).toBeLessThan(300);
    expect(errors).toEqual([]);
  }, 30_000);

  it('wakes a claim waiting on replica B for a run submitted to replica A well within the 5 s re-check', async () => {
    const { a, b } = await replicas();
    const worker = { name: 'on-b', host: hostname(), labels: ['nb'], slots: 1, version: 'test' };
    const abort = new AbortController();
    const claim = b.stepflow.app.workers.claim(worker, { waitMs: 20_000, signal: abort.signal });
    // The claim has looked once, found nothing and waits.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const submittedAt = Date.now();
    const run = await startExecution(a.url, { command: 'echo hi', cwd: '/', runsOn: ['nb'] });
    const claimed = await claim;
    const after = Date.now() - submittedAt;
    abort.abort();
    console.log(`claim on B of a run submitted to A after ${after} ms`);
    expect(claimed?.execution.id).toBe(run.id);
    expect(after).toBeLessThan(1500);
    // It is nobody's to report: end it so the replicas close quietly.
    await call(a.url, 'POST', `/api/executions/${run.id}/cancel`);
  }, 30_000);
});
