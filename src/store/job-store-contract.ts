import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, type JobDefinition, type PendingRetry } from '../core/jobs/job.js';
import type { Execution, ExecutionJobLink, Step } from '../core/model.js';
import type { ExecutionStatus } from '../core/statuses.js';
import type { JobStore } from './job-store.js';
import type { ExecutionStore } from './store.js';

/**
 * What a backend's test file hands to {@link describeJobStoreContract} for each test: a job store
 * and the execution store opened with it (a `StoreBackend`), on fresh, empty storage. The job
 * store's run history (`lastRuns`, `recentRuns`, `recentStepDurations`) reads the executions and
 * steps written through that execution store: that is what a backend must provide.
 */
export interface JobStoreHarness {
  jobs: JobStore;
  store: ExecutionStore;
  /** Opens both stores again on the same storage, as a second process would. */
  openAnother(): Promise<{ jobs: JobStore; store: ExecutionStore }>;
  /** Closes every store the harness opened and removes the storage. */
  cleanup(): Promise<void>;
}

const definition = (overrides: Partial<JobDefinition> = {}): JobDefinition => ({
  name: 'backup',
  command: './backup.sh',
  argv: null,
  cwd: '/srv',
  env: { MODE: 'full' },
  tags: { team: 'ops' },
  timeoutSeconds: null,
  enabled: true,
  triggers: [{ kind: 'interval', intervalSeconds: 60 }],
  retry: DEFAULT_RETRY,
  overlap: 'skip',
  maxConcurrentRuns: null,
  missedFire: 'skip',
  lateAfterSeconds: null,
  lateByP95: false,
  webhooks: [],
  runsOn: [],
  retryOnLost: false,
  ...overrides,
});

const HOURLY = { kind: 'cron', cron: '0 * * * *', timezone: 'UTC' } as const;
const MINUTELY = { kind: 'interval', intervalSeconds: 60 } as const;

/**
 * The behaviour every {@link JobStore} backend must have: each method of the port. A backend's
 * test file calls this once with a factory for fresh storage; backend-specific tests live beside it.
 */
export function describeJobStoreContract(name: string, open: () => Promise<JobStoreHarness>): void {
  describe(`JobStore contract: ${name}`, () => {
    let harness: JobStoreHarness;
    let jobs: JobStore;
    let store: ExecutionStore;

    beforeEach(async () => {
      harness = await open();
      ({ jobs, store } = harness);
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    const expectCode = async (promise: Promise<unknown>, code: string): Promise<void> => {
      await expect(promise).rejects.toMatchObject({ code });
    };

    /** An execution of `jobId` through the execution store, ended in `status` when given. */
    const run = async (
      jobId: string,
      attempt = 1,
      end?: { status: ExecutionStatus; steps?: { name: string; status: Step['status']; ms: number }[] },
    ): Promise<Execution> => {
      const link: ExecutionJobLink = { jobId, attempt, retryOfId: null, scheduledAt: null };
      const created = await store.createExecution({
        spec: { command: './backup.sh', cwd: '/srv' },
        status: 'running',
        job: link,
      });
      if (end === undefined) return created;
      const ended: Execution = {
        ...created,
        status: end.status,
        endedAt: new Date(Date.parse(created.createdAt) + 1500).toISOString(),
        durationMs: 1500,
      };
      const steps = (end.steps ?? []).map((step, i) => ({
        executionId: created.id,
        step: {
          id: i + 1,
          parentId: null,
          name: step.name,
          status: step.status,
          startedAt: created.createdAt,
          endedAt: step.status === 'running' ? null : created.createdAt,
          durationMs: step.status === 'running' ? null : step.ms,
          meta: {},
          implicit: false,
          source: 'stepflow' as const,
          error: null,
          estimatedDurationSeconds: null,
          firstSeq: i + 1,
          hasSummary: false,
        },
      }));
      await store.write({ executions: [ended], steps });
      return ended;
    };

    describe('jobs', () => {
      it('creates a job and reads it back: its definition, trigger ids and times', async () => {
        const saved = definition({
          triggers: [MINUTELY, HOURLY],
          retry: { ...DEFAULT_RETRY, maxAttempts: 3 },
        });
        const job = await jobs.createJob(saved);
        const { triggers: _triggers, ...rest } = saved;
        expect(job).toMatchObject({ ...rest, id: expect.stringMatching(/^[0-9a-z]{26}$/) });
        expect(job.triggers).toEqual([
          { ...MINUTELY, id: expect.any(String), anchorMs: expect.any(Number), nextFireMs: null },
          { ...HOURLY, id: expect.any(String), anchorMs: expect.any(Number), nextFireMs: null },
        ]);
        expect(new Set(job.triggers.map((t) => t.id)).size).toBe(2);
        expect(Number.isNaN(Date.parse(job.createdAt))).toBe(false);
        expect(job.updatedAt).toBe(job.createdAt);
        expect(await jobs.getJob(job.id)).toEqual(job);
      });

      it('keeps a job’s runsOn and retryOnLost, through an update and in another process', async () => {
        const job = await jobs.createJob(definition({ runsOn: ['gpu', 'linux'], retryOnLost: true }));
        expect(job).toMatchObject({ runsOn: ['gpu', 'linux'], retryOnLost: true });
        const updated = await jobs.updateJob(job.id, definition({ runsOn: ['arm64'], retryOnLost: false }));
        expect(updated).toMatchObject({ runsOn: ['arm64'], retryOnLost: false });
        const other = await harness.openAnother();
        expect(await other.jobs.getJob(job.id)).toMatchObject({ runsOn: ['arm64'], retryOnLost: false });
        const plain = await jobs.createJob(definition({ name: 'plain' }));
        expect((await jobs.listJobs()).jobs.find((j) => j.id === plain.id)).toMatchObject({
          runsOn: [],
          retryOnLost: false,
        });
        // Held to the rules of a new job like every field: a label the API refuses is never stored.
        await expectCode(
          jobs.createJob(definition({ name: 'bad label', runsOn: ['has space'] })),
          'unreadable',
        );
      });

      it('keeps a job’s own retention policy, through an update and in another process', async () => {
        const job = await jobs.createJob(definition({ retention: { keepLast: 5, failedDays: 0.5 } }));
        expect(job.retention).toEqual({ keepLast: 5, failedDays: 0.5 });
        const forever = await jobs.updateJob(job.id, definition({ retention: {} }));
        expect(forever.retention).toEqual({});
        const other = await harness.openAnother();
        expect((await other.jobs.getJob(job.id))?.retention).toEqual({});
        const global = await jobs.updateJob(job.id, definition());
        expect(global.retention).toBeUndefined();
        expect((await other.jobs.listJobs()).jobs[0]?.retention).toBeUndefined();
        // Held to the rules of a new job: a policy the API refuses is never stored.
        await expectCode(
          jobs.createJob(definition({ name: 'bad policy', retention: { days: -1 } })),
          'unreadable',
        );
      });

      it('keeps the Python environment a job names, through an update and in another process', async () => {
        const job = await jobs.createJob(definition({ environment: 'data-science' }));
        expect(job.environment).toBe('data-science');
        const other = await harness.openAnother();
        expect((await other.jobs.getJob(job.id))?.environment).toBe('data-science');
        expect((await jobs.updateJob(job.id, definition())).environment).toBeUndefined();
        await expectCode(
          jobs.createJob(definition({ name: 'bad env', environment: 'has space' })),
          'unreadable',
        );
      });

      it('keeps a job’s project and its folder inside it, through an update and in another process', async () => {
        const job = await jobs.createJob(definition({ project: 'site', cwd: 'scripts' }));
        expect(job).toMatchObject({ project: 'site', cwd: 'scripts' });
        const other = await harness.openAnother();
        expect(await other.jobs.getJob(job.id)).toMatchObject({ project: 'site', cwd: 'scripts' });
        const moved = await jobs.updateJob(job.id, definition({ project: 'web', cwd: '' }));
        expect(moved).toMatchObject({ project: 'web', cwd: '' });
        expect(
          (await jobs.getJob((await jobs.createJob(definition({ name: 'plain' }))).id))?.project,
        ).toBeUndefined();
        // Held to the rules of a new job: a folder leaving the project is never stored.
        await expectCode(
          jobs.createJob(definition({ name: 'escape', project: 'site', cwd: '../x' })),
          'unreadable',
        );
      });

      it('refuses a second job with the same name as a conflict', async () => {
        await jobs.createJob(definition());
        await expectCode(jobs.createJob(definition({ command: './other.sh' })), 'conflict');
        expect((await jobs.listJobs()).jobs).toHaveLength(1);
      });

      it('answers undefined for an unknown job', async () => {
        expect(await jobs.getJob('01hzzzzzzzzzzzzzzzzzzzzzzz')).toBeUndefined();
      });

      it('lists every job by name, with nothing unreadable', async () => {
        for (const name of ['charlie', 'alpha', 'bravo']) await jobs.createJob(definition({ name }));
        const list = await jobs.listJobs();
        expect(list.jobs.map((j) => j.name)).toEqual(['alpha', 'bravo', 'charlie']);
        expect(list.unreadable).toEqual([]);
      });

      it('updates a job, keeping the id and plan of a trigger that did not change', async () => {
        const job = await jobs.createJob(definition({ triggers: [MINUTELY, HOURLY] }));
        const [minutely, hourly] = job.triggers;
        await jobs.planFire(hourly!.id, 1_900_000_000_000);
        const updated = await jobs.updateJob(
          job.id,
          definition({ name: 'backup-v2', triggers: [HOURLY, { kind: 'interval', intervalSeconds: 5 }] }),
        );
        expect(updated).toMatchObject({ id: job.id, name: 'backup-v2', createdAt: job.createdAt });
        expect(updated.triggers[0]).toMatchObject({
          ...HOURLY,
          id: hourly!.id,
          nextFireMs: 1_900_000_000_000,
        });
        expect(updated.triggers[1]).toMatchObject({ kind: 'interval', intervalSeconds: 5, nextFireMs: null });
        expect(updated.triggers[1]!.id).not.toBe(minutely!.id);
        expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(job.updatedAt));
        expect(await jobs.getJob(job.id)).toEqual(updated);
      });

      it('refuses to update an unknown job, or to take another job’s name', async () => {
        await expectCode(jobs.updateJob('01hzzzzzzzzzzzzzzzzzzzzzzz', definition()), 'not_found');
        await jobs.createJob(definition({ name: 'a' }));
        const b = await jobs.createJob(definition({ name: 'b' }));
        await expectCode(jobs.updateJob(b.id, definition({ name: 'a' })), 'conflict');
        expect((await jobs.getJob(b.id))?.name).toBe('b');
      });

      it('pauses and resumes a job', async () => {
        const job = await jobs.createJob(definition());
        expect(await jobs.setEnabled(job.id, false)).toMatchObject({ id: job.id, enabled: false });
        expect((await jobs.getJob(job.id))?.enabled).toBe(false);
        expect((await jobs.setEnabled(job.id, true)).enabled).toBe(true);
        await expectCode(jobs.setEnabled('01hzzzzzzzzzzzzzzzzzzzzzzz', true), 'not_found');
      });

      it('deletes a job with its fires, deliveries and pending retries; its executions stay', async () => {
        const job = await jobs.createJob(definition());
        const keep = await jobs.createJob(definition({ name: 'keep' }));
        const execution = await run(job.id, 1, { status: 'failed' });
        await jobs.recordFire({
          jobId: job.id,
          triggerId: job.triggers[0]!.id,
          fireMs: 1_000,
          outcome: 'started',
        });
        await jobs.recordDelivery(delivery(job.id, execution.id));
        await jobs.savePendingRetry(retry(job.id, execution.id));
        await jobs.deleteJob(job.id);
        expect(await jobs.getJob(job.id)).toBeUndefined();
        expect((await jobs.listJobs()).jobs.map((j) => j.id)).toEqual([keep.id]);
        expect(await jobs.listFires(job.id)).toEqual([]);
        expect(await jobs.listDeliveries(job.id)).toEqual([]);
        expect(await jobs.listPendingRetries()).toEqual([]);
        expect(await store.getExecution(execution.id)).toMatchObject({ jobId: job.id, status: 'failed' });
        await expectCode(jobs.deleteJob(job.id), 'not_found');
      });
    });

    describe('fires', () => {
      it('records a fire time once, even from another process, and moves the plan with it', async () => {
        const job = await jobs.createJob(definition());
        const triggerId = job.triggers[0]!.id;
        const fireMs = Date.parse('2026-01-01T00:00:00.000Z');
        const record = await jobs.recordFire(
          { jobId: job.id, triggerId, fireMs, outcome: 'started' },
          { triggerId, nextFireMs: fireMs + 60_000 },
        );
        expect(record).toEqual({
          id: expect.any(Number),
          jobId: job.id,
          triggerId,
          fireTime: '2026-01-01T00:00:00.000Z',
          outcome: 'started',
          reason: null,
          executionId: null,
          count: 1,
          createdAt: expect.any(String),
        });
        expect((await jobs.getJob(job.id))?.triggers[0]?.nextFireMs).toBe(fireMs + 60_000);
        const other = await harness.openAnother();
        expect(
          await other.jobs.recordFire({ jobId: job.id, triggerId, fireMs, outcome: 'skipped' }),
        ).toBeUndefined();
        expect(
          await jobs.recordFire({ jobId: job.id, triggerId, fireMs, outcome: 'started' }),
        ).toBeUndefined();
        expect(await jobs.listFires(job.id)).toEqual([record]);
      });

      it('records manual runs (no trigger) each time, and missed fires as one record with a count', async () => {
        const job = await jobs.createJob(definition());
        const manual = { jobId: job.id, triggerId: null, fireMs: 5_000, outcome: 'started' as const };
        expect(await jobs.recordFire(manual)).toBeDefined();
        expect(await jobs.recordFire(manual)).toBeDefined();
        const missed = await jobs.recordFire({
          jobId: job.id,
          triggerId: job.triggers[0]!.id,
          fireMs: 6_000,
          outcome: 'missed',
          reason: 'the scheduler was down',
          count: 42,
        });
        expect(missed).toMatchObject({ outcome: 'missed', reason: 'the scheduler was down', count: 42 });
      });

      it('updates a fire’s outcome, keeping its reason and execution unless given', async () => {
        const job = await jobs.createJob(definition());
        const execution = await run(job.id);
        const fire = await jobs.recordFire({
          jobId: job.id,
          triggerId: job.triggers[0]!.id,
          fireMs: 1_000,
          outcome: 'queued',
          reason: 'waiting for the previous run',
        });
        await jobs.updateFire(fire!.id, { outcome: 'started', executionId: execution.id });
        expect((await jobs.listFires(job.id))[0]).toMatchObject({
          outcome: 'started',
          reason: 'waiting for the previous run',
          executionId: execution.id,
        });
        await jobs.updateFire(fire!.id, { outcome: 'skipped', reason: 'shutting down' });
        expect((await jobs.listFires(job.id))[0]).toMatchObject({
          outcome: 'skipped',
          reason: 'shutting down',
          executionId: execution.id,
        });
      });

      it('plans and unplans a trigger’s next fire', async () => {
        const job = await jobs.createJob(definition());
        const triggerId = job.triggers[0]!.id;
        await jobs.planFire(triggerId, 1_800_000_000_000);
        expect((await jobs.getJob(job.id))?.triggers[0]?.nextFireMs).toBe(1_800_000_000_000);
        await jobs.planFire(triggerId, null);
        expect((await jobs.getJob(job.id))?.triggers[0]?.nextFireMs).toBeNull();
      });

      it('lists a job’s fires newest first, up to the limit', async () => {
        const job = await jobs.createJob(definition());
        const other = await jobs.createJob(definition({ name: 'other' }));
        const triggerId = job.triggers[0]!.id;
        for (let i = 1; i <= 5; i++) {
          await jobs.recordFire({ jobId: job.id, triggerId, fireMs: i * 1000, outcome: 'started' });
        }
        await jobs.recordFire({
          jobId: other.id,
          triggerId: other.triggers[0]!.id,
          fireMs: 1,
          outcome: 'started',
        });
        expect((await jobs.listFires(job.id)).map((f) => Date.parse(f.fireTime))).toEqual([
          5000, 4000, 3000, 2000, 1000,
        ]);
        expect((await jobs.listFires(job.id, { limit: 2 })).map((f) => Date.parse(f.fireTime))).toEqual([
          5000, 4000,
        ]);
      });
    });

    describe('webhook deliveries', () => {
      it('records each attempt and lists a job’s newest first, up to the limit', async () => {
        const job = await jobs.createJob(definition());
        const execution = await run(job.id, 1, { status: 'failed' });
        const first = delivery(job.id, execution.id, {
          attempt: 1,
          ok: false,
          statusCode: 500,
          error: 'HTTP 500',
        });
        const second = delivery(job.id, execution.id, { attempt: 2 });
        await jobs.recordDelivery(first);
        await jobs.recordDelivery(second);
        const list = await jobs.listDeliveries(job.id);
        expect(list).toEqual([
          { ...second, id: expect.any(Number) },
          { ...first, id: expect.any(Number) },
        ]);
        expect(await jobs.listDeliveries(job.id, { limit: 1 })).toEqual([list[0]]);
      });
    });

    describe('run history, read from the executions of the execution store', () => {
      it('gives the newest execution of each job that has one', async () => {
        const a = await jobs.createJob(definition({ name: 'a' }));
        const b = await jobs.createJob(definition({ name: 'b' }));
        await jobs.createJob(definition({ name: 'never-ran' }));
        await run(a.id, 1, { status: 'failed' });
        const newestOfA = await run(a.id, 2, { status: 'succeeded' });
        const onlyOfB = await run(b.id);
        await store.createExecution({ spec: { command: 'ad hoc', cwd: '/' } });
        const last = await jobs.lastRuns();
        expect(Object.fromEntries(last)).toEqual({
          [a.id]: { executionId: newestOfA.id, status: 'succeeded', createdAt: newestOfA.createdAt },
          [b.id]: { executionId: onlyOfB.id, status: 'running', createdAt: onlyOfB.createdAt },
        });
      });

      it('gives the newest runs of each job asked for, newest first, and [] for a job without runs', async () => {
        const a = await jobs.createJob(definition({ name: 'a' }));
        const idle = await jobs.createJob(definition({ name: 'idle' }));
        const runs = [];
        for (let attempt = 1; attempt <= 4; attempt++) {
          runs.push(await run(a.id, attempt, attempt === 4 ? undefined : { status: 'succeeded' }));
        }
        const recent = await jobs.recentRuns([a.id, idle.id], 3);
        expect(recent.get(idle.id)).toEqual([]);
        expect(recent.get(a.id)).toEqual(
          runs
            .slice(1)
            .reverse()
            .map((e) => ({
              executionId: e.id,
              status: e.status,
              createdAt: e.createdAt,
              startedAt: e.startedAt,
              durationMs: e.durationMs,
            })),
        );
        expect(recent.get(a.id)?.[0]).toMatchObject({ status: 'running', durationMs: null });
      });

      it('lists the job’s open runs, from any process: queued and running, not ended, not other jobs’', async () => {
        const a = await jobs.createJob(definition({ name: 'a' }));
        const b = await jobs.createJob(definition({ name: 'b' }));
        await run(a.id, 1, { status: 'succeeded' });
        const running = await run(a.id, 2);
        const other = await harness.openAnother();
        const queued = await other.store.createExecution({
          spec: { command: './backup.sh', cwd: '/srv' },
          status: 'queued',
          job: { jobId: a.id, attempt: 1, retryOfId: null, scheduledAt: null },
        });
        await run(b.id);
        await store.createExecution({ spec: { command: 'ad hoc', cwd: '/' } });
        expect(await jobs.openRuns(a.id)).toEqual([running.id, queued.id]);
        expect(await other.jobs.openRuns(a.id)).toEqual([running.id, queued.id]);
        expect(await jobs.openRuns('no-such-job')).toEqual([]);
      });

      it('gives the finished steps’ durations of the newest succeeded runs only', async () => {
        const job = await jobs.createJob(definition());
        await run(job.id, 1, {
          status: 'succeeded',
          steps: [{ name: 'dump', status: 'succeeded', ms: 100 }],
        });
        await run(job.id, 1, { status: 'failed', steps: [{ name: 'dump', status: 'failed', ms: 999 }] });
        await run(job.id, 1, {
          status: 'succeeded',
          steps: [
            { name: 'dump', status: 'succeeded', ms: 200 },
            { name: 'upload', status: 'succeeded', ms: 300 },
          ],
        });
        await run(job.id, 1, {
          status: 'succeeded',
          steps: [{ name: 'dump', status: 'succeeded', ms: 400 }],
        });
        const sort = (samples: { name: string; durationMs: number }[]) =>
          [...samples].sort((x, y) => x.name.localeCompare(y.name) || x.durationMs - y.durationMs);
        expect(sort(await jobs.recentStepDurations(job.id, 2))).toEqual([
          { name: 'dump', durationMs: 200 },
          { name: 'dump', durationMs: 400 },
          { name: 'upload', durationMs: 300 },
        ]);
        expect(sort(await jobs.recentStepDurations(job.id, 10))).toHaveLength(4);
      });
    });

    describe('pending retries', () => {
      it('keeps a pending retry once (the first saved wins) and lists them earliest due first', async () => {
        const job = await jobs.createJob(definition());
        const [x, y] = [
          await run(job.id, 1, { status: 'failed' }),
          await run(job.id, 1, { status: 'timed_out' }),
        ];
        const late = retry(job.id, x.id, { dueMs: 2_000_000 });
        const early = retry(job.id, y.id, { dueMs: 1_000_000, failedStatus: 'timed_out' });
        await jobs.savePendingRetry(late);
        await jobs.savePendingRetry({ ...late, dueMs: 5 });
        await jobs.savePendingRetry(early);
        expect(await jobs.listPendingRetries()).toEqual([early, late]);
      });

      it('saves nothing for a job that no longer exists', async () => {
        const job = await jobs.createJob(definition());
        const execution = await run(job.id, 1, { status: 'failed' });
        await jobs.deleteJob(job.id);
        await jobs.savePendingRetry(retry(job.id, execution.id));
        expect(await jobs.listPendingRetries()).toEqual([]);
      });

      it('hands a pending retry to one claimer only, across processes', async () => {
        const job = await jobs.createJob(definition());
        const execution = await run(job.id, 1, { status: 'failed' });
        const saved = retry(job.id, execution.id);
        await jobs.savePendingRetry(saved);
        const other = await harness.openAnother();
        const claims = await Promise.all([
          jobs.claimPendingRetry(execution.id),
          other.jobs.claimPendingRetry(execution.id),
        ]);
        expect(claims.filter((claim) => claim !== undefined)).toEqual([saved]);
        expect(await jobs.claimPendingRetry(execution.id)).toBeUndefined();
        expect(await jobs.listPendingRetries()).toEqual([]);
      });

      it('drops the pending retries of one job (pause)', async () => {
        const a = await jobs.createJob(definition({ name: 'a' }));
        const b = await jobs.createJob(definition({ name: 'b' }));
        const ofA = retry(a.id, (await run(a.id, 1, { status: 'failed' })).id);
        const ofB = retry(b.id, (await run(b.id, 1, { status: 'failed' })).id);
        await jobs.savePendingRetry(ofA);
        await jobs.savePendingRetry(ofB);
        await jobs.dropPendingRetries(a.id);
        expect(await jobs.listPendingRetries()).toEqual([ofB]);
      });
    });

    describe('scheduler lease', () => {
      it('lets one process at a time lead when the storage is shared, and hands it over on release', async () => {
        const other = await harness.openAnother();
        const [mine, theirs] = [jobs.schedulerLease, other.jobs.schedulerLease];
        expect(await mine.tryAcquire()).toBe(true);
        expect(await mine.tryAcquire()).toBe(true);
        // Shared storage: the other process waits; an embedded file: each process leads alone.
        expect(await theirs.tryAcquire()).toBe(!mine.shared);
        await mine.release();
        await mine.release();
        expect(await theirs.tryAcquire()).toBe(true);
        expect(await mine.tryAcquire()).toBe(!mine.shared);
        await theirs.release();
        await mine.release();
      });
    });

    describe('close', () => {
      it('refuses calls after close with store_unavailable, and closes twice without error', async () => {
        const other = await harness.openAnother();
        await other.jobs.close();
        await other.jobs.close();
        await expectCode(other.jobs.listJobs(), 'store_unavailable');
        await expectCode(other.jobs.createJob(definition()), 'store_unavailable');
        // The storage itself is still there for everyone else.
        expect((await jobs.listJobs()).jobs).toEqual([]);
      });
    });
  });
}

function delivery(
  jobId: string,
  executionId: string,
  overrides: Partial<Parameters<JobStore['recordDelivery']>[0]> = {},
): Parameters<JobStore['recordDelivery']>[0] {
  return {
    jobId,
    deliveryId: 'd-1',
    url: 'https://hooks.example/stepflow',
    event: 'failure',
    executionId,
    attempt: 1,
    statusCode: 200,
    ok: true,
    error: null,
    sentAt: '2026-01-01T00:00:00.000Z',
    durationMs: 12,
    ...overrides,
  };
}

function retry(
  jobId: string,
  failedExecutionId: string,
  overrides: Partial<PendingRetry> = {},
): PendingRetry {
  return {
    jobId,
    failedExecutionId,
    failedStatus: 'failed',
    attempt: 2,
    dueMs: 1_900_000_000_000,
    scheduledAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}
