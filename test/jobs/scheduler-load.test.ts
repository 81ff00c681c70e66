import { describe, expect, it } from 'vitest';
import { useTestServers } from '../helpers/test-server.js';
import { createJob, historyOf, runsOf, uniqueName, waitFor } from './jobs-client.js';

const startServer = useTestServers();

describe('scheduler under load', () => {
  it('200 jobs firing in the same second with MAX_CONCURRENT_TASKS=10: at most 10 run at once, all 200 run once', async () => {
    const server = await startServer({ config: { maxConcurrent: 10 } });
    const { url, stepflow } = server;
    let running = 0;
    let maxRunning = 0;
    let queued = 0;
    const finished = new Set<string>();
    stepflow.bus.subscribe((event) => {
      if (event.type === 'execution.queued' && event.execution.jobId !== null) queued++;
      if (event.type === 'execution.started' && event.execution.jobId !== null) {
        running++;
        maxRunning = Math.max(maxRunning, running);
      }
      if (event.type === 'execution.finished' && event.execution.jobId !== null) {
        running--;
        finished.add(event.execution.jobId);
      }
    });

    // All at the same whole second, far enough ahead for 200 creations on a busy machine.
    const at = new Date(Math.ceil((Date.now() + 8_000) / 1000) * 1000).toISOString();
    const jobs = [];
    for (let i = 0; i < 200; i++) {
      jobs.push(
        await createJob(url, { name: uniqueName('crowd'), command: 'sleep 0.3', triggers: [{ at }] }),
      );
    }
    expect(Date.now()).toBeLessThan(Date.parse(at));
    await waitFor(async () => finished.size === 200, 'all 200 jobs to finish a run', 60_000);

    expect(maxRunning).toBeLessThanOrEqual(10);
    expect(maxRunning).toBeGreaterThanOrEqual(5);
    expect(queued).toBeGreaterThan(0);
    // None lost, none doubled: one started fire and one succeeded execution per job.
    for (const job of jobs.slice(0, 20)) {
      const runs = await runsOf(url, job.id);
      expect(runs.map((run) => [run.status, run.scheduledAt])).toEqual([['succeeded', at]]);
      const fires = await historyOf(url, job.id);
      expect(fires.map((fire) => fire.outcome)).toEqual(['started']);
    }
    const all = await Promise.all(jobs.map((job) => runsOf(url, job.id)));
    expect(all.every((runs) => runs.length === 1 && runs[0]!.status === 'succeeded')).toBe(true);
  }, 90_000);
});
