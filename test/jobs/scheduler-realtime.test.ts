import { describe, expect, it } from 'vitest';
import type { ExecutionBody } from '../../src/protocol/api-schemas.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, createJob, ended, historyOf, overlapped, runsOf, uniqueName, waitFor } from './jobs-client.js';

const startServer = useTestServers();

describe('scheduler in real time', () => {
  it('runs an every-second job three times in about three seconds, linked to the job; pausing stops it', async () => {
    const { url } = await startServer();
    const job = await createJob(url, {
      name: uniqueName('every-second'),
      command: 'echo tick',
      triggers: [{ cron: '*/1 * * * * *' }],
    });
    const started = Date.now();
    const runs = await waitFor(
      async () => {
        const all = (await runsOf(url, job.id)).filter((e) => e.status === 'succeeded');
        return all.length >= 3 && all;
      },
      'three succeeded runs',
      15_000,
    );
    // Three fires need at least two seconds; on a loaded machine allow some slack.
    expect(Date.now() - started).toBeLessThan(8_000);
    for (const run of runs) expect(run).toMatchObject({ jobId: job.id, attempt: 1, retryOfId: null });
    const scheduled = runs.map((run) => run.scheduledAt!);
    expect(new Set(scheduled).size).toBe(scheduled.length);
    for (const time of scheduled) expect(time).toMatch(/:\d\d\.000Z$/);

    expect((await call(url, 'POST', `/api/jobs/${job.id}/pause`)).status).toBe(200);
    const afterPause = (await runsOf(url, job.id)).length;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect((await runsOf(url, job.id)).length).toBe(afterPause);
    const history = await historyOf(url, job.id);
    expect(history.filter((fire) => fire.outcome === 'started').length).toBe(afterPause);
  });

  it('retries a failing run with exponential backoff, each attempt linked to the one before, then stops', async () => {
    const { url } = await startServer();
    const job = await createJob(url, {
      name: uniqueName('flaky'),
      command: 'echo trying; exit 3',
      triggers: [],
      retry: { maxAttempts: 3, delaySeconds: 0.4, backoffFactor: 2 },
    });
    const first = await call<ExecutionBody>(url, 'POST', `/api/jobs/${job.id}/run`);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ jobId: job.id, attempt: 1, retryOfId: null, scheduledAt: null });
    const attempts = await waitFor(
      async () => {
        const all = await runsOf(url, job.id);
        return all.length === 3 && all.every(ended) && all;
      },
      'three ended attempts',
      20_000,
    );
    expect(attempts.map((a) => [a.attempt, a.status, a.exitCode])).toEqual([
      [1, 'failed', 3],
      [2, 'failed', 3],
      [3, 'failed', 3],
    ]);
    expect(attempts[1]!.retryOfId).toBe(attempts[0]!.id);
    expect(attempts[2]!.retryOfId).toBe(attempts[1]!.id);
    const gap = (i: number) => Date.parse(attempts[i + 1]!.createdAt) - Date.parse(attempts[i]!.endedAt!);
    expect(gap(0)).toBeGreaterThanOrEqual(390);
    expect(gap(1)).toBeGreaterThanOrEqual(790);
    // No fourth attempt comes later.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await runsOf(url, job.id)).toHaveLength(3);
  });

  it('retries only the exit codes it is told to', async () => {
    const { url } = await startServer();
    const job = await createJob(url, {
      name: uniqueName('picky'),
      command: 'exit 1',
      triggers: [],
      retry: { maxAttempts: 3, delaySeconds: 0.1, onExitCodes: [75] },
    });
    await call(url, 'POST', `/api/jobs/${job.id}/run`);
    await waitFor(async () => (await runsOf(url, job.id)).every(ended), 'the run to end');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await runsOf(url, job.id)).map((run) => run.status)).toEqual(['failed']);
  });

  it('applies each overlap policy to a 1-second job whose runs take 2.5 seconds', async () => {
    const { url } = await startServer();
    const make = (overlap: string) =>
      createJob(url, {
        name: uniqueName(`overlap-${overlap}`),
        command: 'sleep 2.5',
        overlap,
        triggers: [{ intervalSeconds: 1 }],
      });
    const [skip, queue, parallel, cancel] = await Promise.all([
      make('skip'),
      make('queue'),
      make('parallel'),
      make('cancel-previous'),
    ]);
    // Let a few fires happen, then stop firing and let what is running end.
    await new Promise((resolve) => setTimeout(resolve, 4_500));
    for (const job of [skip, queue, parallel, cancel]) await call(url, 'POST', `/api/jobs/${job.id}/pause`);
    const settled = async (jobId: string) =>
      waitFor(
        async () => {
          const runs = await runsOf(url, jobId);
          return runs.length > 0 && runs.every(ended) && runs;
        },
        `runs of ${jobId} to end`,
        20_000,
      );

    const skipRuns = await settled(skip.id);
    const skipHistory = await historyOf(url, skip.id);
    expect(
      skipHistory.some((fire) => fire.outcome === 'skipped' && fire.reason?.includes('overlap: skip')),
    ).toBe(true);
    expectSerial(skipRuns);

    const queueRuns = await settled(queue.id);
    expectSerial(queueRuns);
    expect(queueRuns.length).toBeGreaterThanOrEqual(2);
    expect(queueRuns.every((run) => run.status === 'succeeded')).toBe(true);

    const parallelRuns = await settled(parallel.id);
    expect(parallelRuns.some((a, i) => parallelRuns.slice(i + 1).some((b) => overlapped(a, b)))).toBe(true);

    const cancelRuns = await settled(cancel.id);
    expect(cancelRuns.some((run) => run.status === 'cancelled')).toBe(true);
    expectSerial(cancelRuns);
  });
});

/** No two runs of the job were running at the same moment. */
function expectSerial(runs: ExecutionBody[]): void {
  const started = runs.filter((run) => run.startedAt !== null);
  for (let i = 1; i < started.length; i++) {
    expect(Date.parse(started[i]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(started[i - 1]!.endedAt!));
  }
}
