import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config.js';
import type { JobDefinition, PendingRetry } from '../core/jobs/job.js';
import { validateJob, type JobInput } from '../core/jobs/validate-job.js';
import { createStepflow, type Stepflow } from '../stepflow.js';
import type { Clock } from './clock.js';
import { createScheduler, type Scheduler } from './scheduler.js';

/** Time the test moves by hand; timers fire when it passes them. Everything else is real. */
function fakeClock(startIso: string): Clock & { set(iso: string): void } {
  let now = Date.parse(startIso);
  let nextId = 1;
  const timers = new Map<number, { at: number; callback: () => void }>();
  return {
    now: () => now,
    setTimer(callback, delayMs) {
      const id = nextId++;
      timers.set(id, { at: now + delayMs, callback });
      return id;
    },
    clearTimer(handle) {
      timers.delete(handle as number);
    },
    set(iso) {
      now = Date.parse(iso);
      for (const [id, timer] of [...timers].sort((a, b) => a[1].at - b[1].at)) {
        if (timer.at > now) continue;
        timers.delete(id);
        timer.callback();
      }
    },
  };
}

const opened: { stepflow: Stepflow; dir: string }[] = [];
const schedulers: Scheduler[] = [];
afterEach(async () => {
  for (const scheduler of schedulers.splice(0)) await scheduler.stop();
  for (const { stepflow, dir } of opened.splice(0)) {
    await stepflow.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

async function open(): Promise<Stepflow> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-scheduler-test-'));
  const stepflow = await createStepflow({ ...loadConfig({}, dir), dataDir: dir, killGraceMs: 500 });
  opened.push({ stepflow, dir });
  return stepflow;
}

function definition(input: Partial<JobInput>): JobDefinition {
  return validateJob(
    { name: `job-${Math.random().toString(36).slice(2)}`, triggers: [], ...input },
    { command: 'true', argv: null, cwd: os.tmpdir(), env: {}, tags: {}, timeoutSeconds: null },
  );
}

function schedulerOn(stepflow: Stepflow, clock: Clock): Scheduler {
  const scheduler = createScheduler({
    jobs: stepflow.jobs,
    engine: stepflow.engine,
    bus: stepflow.bus,
    clock,
  });
  schedulers.push(scheduler);
  return scheduler;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('scheduler with fake time', () => {
  it('plans the next fire, and on a later start records the hours it missed (skip) without running them', async () => {
    const stepflow = await open();
    const job = await stepflow.jobs.createJob(
      definition({ triggers: [{ cron: '0 * * * *', timezone: 'UTC' }] }),
    );
    const clock = fakeClock('2030-01-01T00:30:00Z');
    const first = schedulerOn(stepflow, clock);
    await first.start();
    expect(iso((await stepflow.jobs.getJob(job.id))!.triggers[0]!.nextFireMs)).toBe(
      '2030-01-01T01:00:00.000Z',
    );
    await first.stop();

    // Down from 00:30 to 03:10: the 01:00, 02:00 and 03:00 fires passed.
    const later = fakeClock('2030-01-01T03:10:00Z');
    await schedulerOn(stepflow, later).start();
    const fires = await stepflow.jobs.listFires(job.id);
    expect(fires.map((f) => [f.outcome, f.fireTime, f.count])).toEqual([
      ['missed', '2030-01-01T01:00:00.000Z', 3],
    ]);
    expect(iso((await stepflow.jobs.getJob(job.id))!.triggers[0]!.nextFireMs)).toBe(
      '2030-01-01T04:00:00.000Z',
    );
    expect((await stepflow.store.listExecutions({ jobId: job.id })).items).toEqual([]);
  });

  it('run-once: runs the latest missed fire time once, late, and records the others as missed', async () => {
    const stepflow = await open();
    const job = await stepflow.jobs.createJob(
      definition({ triggers: [{ cron: '0 * * * *', timezone: 'UTC' }], missedFire: 'run-once' }),
    );
    await schedulerOn(stepflow, fakeClock('2030-01-01T00:30:00Z')).start();
    await schedulers[0]!.stop();
    await schedulerOn(stepflow, fakeClock('2030-01-01T03:10:00Z')).start();
    const fires = await stepflow.jobs.listFires(job.id);
    expect(fires.map((f) => [f.outcome, f.fireTime, f.count])).toEqual([
      ['started', '2030-01-01T03:00:00.000Z', 1],
      ['missed', '2030-01-01T01:00:00.000Z', 2],
    ]);
    const runs = (await stepflow.store.listExecutions({ jobId: job.id })).items;
    expect(runs.map((run) => [run.id, run.scheduledAt, run.attempt])).toEqual([
      [fires[0]!.executionId, '2030-01-01T03:00:00.000Z', 1],
    ]);
  });

  it('fires an interval on its grid; a timer that wakes late runs the latest time once and records the rest', async () => {
    const stepflow = await open();
    const clock = fakeClock('2030-01-01T00:00:00Z');
    const scheduler = schedulerOn(stepflow, clock);
    await scheduler.start();
    // Created "now" by the store's own clock: anchor the grid there and move the fake clock along it.
    const job = await stepflow.jobs.createJob(definition({ triggers: [{ intervalSeconds: 10 }] }));
    const anchor = (await stepflow.jobs.getJob(job.id))!.triggers[0]!.anchorMs;
    clock.set(new Date(anchor).toISOString());
    await scheduler.reload(job.id);

    clock.set(new Date(anchor + 10_000).toISOString());
    await vi.waitFor(async () => expect((await stepflow.jobs.listFires(job.id))[0]?.outcome).toBe('started'));

    await vi.waitFor(async () => expect(scheduler.activeRuns(job.id)).toBe(0), { timeout: 10_000 });
    clock.set(new Date(anchor + 35_000).toISOString());
    await vi.waitFor(async () => expect(await stepflow.jobs.listFires(job.id)).toHaveLength(3));
    const fires = await stepflow.jobs.listFires(job.id);
    expect(fires.map((f) => [f.outcome, Date.parse(f.fireTime) - anchor, f.count])).toEqual([
      ['started', 30_000, 1],
      ['missed', 20_000, 1],
      ['started', 10_000, 1],
    ]);
  });
});

describe('pending retries with fake time', () => {
  const pendingRetry = (jobId: string, failedExecutionId: string, dueIso: string): PendingRetry => ({
    jobId,
    failedExecutionId,
    failedStatus: 'failed',
    attempt: 2,
    dueMs: Date.parse(dueIso),
    scheduledAt: '2030-01-01T00:00:00.000Z',
  });

  it('re-arms a retry saved before a restart for the rest of its delay, then runs it once', async () => {
    const stepflow = await open();
    const job = await stepflow.jobs.createJob(definition({ retry: { maxAttempts: 2 } }));
    await stepflow.jobs.savePendingRetry(pendingRetry(job.id, 'attempt-1', '2030-01-01T00:00:10Z'));
    const clock = fakeClock('2030-01-01T00:00:04Z');
    const scheduler = schedulerOn(stepflow, clock);
    await scheduler.start();
    // Waiting counts as an active run; nothing runs before it is due.
    expect(scheduler.activeRuns(job.id)).toBe(1);
    clock.set('2030-01-01T00:00:09.999Z');
    expect(await stepflow.jobs.listPendingRetries()).toHaveLength(1);

    clock.set('2030-01-01T00:00:10Z');
    const [retry] = await vi.waitFor(async () => {
      const items = (await stepflow.store.listExecutions({ jobId: job.id })).items;
      expect(items).toHaveLength(1);
      return items;
    });
    expect(retry).toMatchObject({
      attempt: 2,
      retryOfId: 'attempt-1',
      scheduledAt: '2030-01-01T00:00:00.000Z',
    });
    expect(await stepflow.jobs.listPendingRetries()).toEqual([]);
    await vi.waitFor(() => expect(scheduler.activeRuns(job.id)).toBe(0), { timeout: 10_000 });
  });

  it('runs an overdue retry at once; a record already claimed elsewhere does not run', async () => {
    const stepflow = await open();
    const job = await stepflow.jobs.createJob(definition({ retry: { maxAttempts: 3 } }));
    await stepflow.jobs.savePendingRetry(pendingRetry(job.id, 'attempt-1', '2030-01-01T00:00:10Z'));
    // Saving the same retry again keeps the first record.
    await stepflow.jobs.savePendingRetry({ ...pendingRetry(job.id, 'attempt-1', '2030-01-01T05:00:00Z') });
    expect((await stepflow.jobs.listPendingRetries()).map((r) => r.dueMs)).toEqual([
      Date.parse('2030-01-01T00:00:10Z'),
    ]);

    const clock = fakeClock('2030-01-01T03:00:00Z');
    const scheduler = schedulerOn(stepflow, clock);
    await scheduler.start();
    expect(scheduler.activeRuns(job.id)).toBe(1);
    // Another scheduler on the same data dir takes it first: this one lets go without running it.
    expect(await stepflow.jobs.claimPendingRetry('attempt-1')).toMatchObject({ jobId: job.id, attempt: 2 });
    expect(await stepflow.jobs.claimPendingRetry('attempt-1')).toBeUndefined();
    clock.set('2030-01-01T03:00:00Z');
    await vi.waitFor(() => expect(scheduler.activeRuns(job.id)).toBe(0));
    expect((await stepflow.store.listExecutions({ jobId: job.id })).items).toEqual([]);

    // Overdue by hours (the server was down past its due time): armed with no delay left.
    await stepflow.jobs.savePendingRetry(pendingRetry(job.id, 'attempt-2', '2030-01-01T00:00:20Z'));
    await scheduler.stop();
    const laterClock = fakeClock('2030-01-01T03:00:00Z');
    const later = schedulerOn(stepflow, laterClock);
    await later.start();
    laterClock.set('2030-01-01T03:00:00Z');
    const [retry] = await vi.waitFor(async () => {
      const items = (await stepflow.store.listExecutions({ jobId: job.id })).items;
      expect(items).toHaveLength(1);
      return items;
    });
    expect(retry).toMatchObject({ attempt: 2, retryOfId: 'attempt-2' });
    expect(await stepflow.jobs.listPendingRetries()).toEqual([]);
  });
});
