import { describe, expect, it } from 'vitest';
import type { PendingRetry } from '../../src/core/jobs/job.js';
import type { ExecutionBody } from '../../src/protocol/api-schemas.js';
import type { JobBody } from '../../src/protocol/job-schemas.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';
import { call, createJob, ended, historyOf, runsOf, uniqueName, waitFor } from './jobs-client.js';

const tempDir = useTempDirs();
const startServer = useTestServers();

/** Fails the first time (no marker file yet in its private working directory), succeeds after. */
const FAILS_ONCE =
  'if [ ! -f failed-once ]; then touch failed-once; echo first attempt fails; exit 3; fi; echo retried';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A server runs the job, its first attempt fails, the retry is saved as pending; the server is
 * closed at once, during the retry's delay.
 */
async function failThenClose(
  dataDir: string,
  delaySeconds: number,
): Promise<{ job: JobBody; first: ExecutionBody; pending: PendingRetry; closedAt: number }> {
  const before = await startServer({ dataDir });
  const job = await createJob(before.url, {
    name: uniqueName('flaky-nightly'),
    command: FAILS_ONCE,
    cwd: tempDir(),
    triggers: [],
    retry: { maxAttempts: 3, delaySeconds },
  });
  const first = (await call<ExecutionBody>(before.url, 'POST', `/api/jobs/${job.id}/run`)).body;
  const [pending] = await waitFor(
    async () => {
      const all = await before.stepflow.jobs.listPendingRetries();
      return all.length > 0 && all;
    },
    'the pending retry to be saved',
    15_000,
  );
  await before.close();
  return { job, first, pending: pending!, closedAt: Date.now() };
}

async function settledRuns(server: TestServer, jobId: string, count: number): Promise<ExecutionBody[]> {
  return waitFor(
    async () => {
      const all = await runsOf(server.url, jobId);
      return all.length >= count && all.every(ended) && all;
    },
    `${count} ended attempts`,
    30_000,
  );
}

describe('pending retries across restarts', () => {
  it('a retry waiting for its delay survives a restart: it runs once, after its delay, linked to the failed attempt', async () => {
    const dataDir = tempDir();
    const { job, first, pending, closedAt } = await failThenClose(dataDir, 2);
    expect(pending).toMatchObject({
      jobId: job.id,
      failedExecutionId: first.id,
      failedStatus: 'failed',
      attempt: 2,
      scheduledAt: null,
    });
    // The first server stopped during the delay: it never started the retry.
    expect(closedAt).toBeLessThan(pending.dueMs);

    const after = await startServer({ dataDir });
    const runs = await settledRuns(after, job.id, 2);
    expect(runs.map((run) => [run.attempt, run.status, run.exitCode, run.retryOfId])).toEqual([
      [1, 'failed', 3, null],
      [2, 'succeeded', 0, first.id],
    ]);
    const retry = runs[1]!;
    // Started by the new server, not before its due time.
    expect(Date.parse(retry.createdAt)).toBeGreaterThan(closedAt);
    expect(Date.parse(retry.createdAt)).toBeGreaterThanOrEqual(pending.dueMs - 50);

    // Exactly once: nothing else comes, and the record is gone.
    await sleep(1_500);
    expect(await runsOf(after.url, job.id)).toHaveLength(2);
    expect(await after.stepflow.jobs.listPendingRetries()).toEqual([]);
    expect(after.stepflow.scheduler.activeRuns(job.id)).toBe(0);
    const fires = await historyOf(after.url, job.id);
    expect(fires.map((fire) => [fire.outcome, fire.executionId])).toEqual([['started', first.id]]);
  }, 90_000);

  it('two servers started on the data dir both re-arm the retry; it still runs exactly once', async () => {
    const dataDir = tempDir();
    // A longer delay, so that both servers are surely up and waiting before it is due.
    const { job, first, pending } = await failThenClose(dataDir, 5);
    const servers = await Promise.all([startServer({ dataDir }), startServer({ dataDir })]);
    expect(Date.now()).toBeLessThan(pending.dueMs);
    for (const server of servers) expect(server.stepflow.scheduler.activeRuns(job.id)).toBe(1);

    const runs = await settledRuns(servers[0]!, job.id, 2);
    expect(runs.map((run) => [run.attempt, run.status, run.retryOfId])).toEqual([
      [1, 'failed', null],
      [2, 'succeeded', first.id],
    ]);
    await waitFor(
      async () => servers.every((server) => server.stepflow.scheduler.activeRuns(job.id) === 0),
      'both schedulers to let go of the run',
    );
    await sleep(1_500);
    expect(await runsOf(servers[1]!.url, job.id)).toHaveLength(2);
    expect(await servers[1]!.stepflow.jobs.listPendingRetries()).toEqual([]);
  }, 90_000);

  it('a restarted server lists the saved retry on the job; pausing drops it, also for the next start', async () => {
    const dataDir = tempDir();
    const { job, first, pending } = await failThenClose(dataDir, 5);
    const paused = await startServer({ dataDir });
    expect(paused.stepflow.scheduler.activeRuns(job.id)).toBe(1);
    // The restarted server shows the saved retry (what a reloaded job page draws).
    const waiting = await call<JobBody>(paused.url, 'GET', `/api/jobs/${job.id}`);
    expect(waiting.body.pendingRetries).toEqual([
      { retryOfId: first.id, attempt: 2, at: new Date(pending.dueMs).toISOString() },
    ]);
    const pause = await call<JobBody>(paused.url, 'POST', `/api/jobs/${job.id}/pause`);
    expect(pause.status).toBe(200);
    expect(pause.body.pendingRetries).toEqual([]);
    expect(paused.stepflow.scheduler.activeRuns(job.id)).toBe(0);
    expect(await paused.stepflow.jobs.listPendingRetries()).toEqual([]);
    await paused.close();

    const resumed = await startServer({ dataDir });
    expect((await call(resumed.url, 'POST', `/api/jobs/${job.id}/resume`)).status).toBe(200);
    expect(resumed.stepflow.scheduler.activeRuns(job.id)).toBe(0);
    expect(await runsOf(resumed.url, job.id)).toHaveLength(1);
  }, 60_000);
});
