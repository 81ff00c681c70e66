import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { usePostgres } from '../../../test/helpers/postgres.js';
import { DEFAULT_RETRY, type JobDefinition, type PendingRetry } from '../../core/jobs/job.js';
import { describeJobStoreContract } from '../job-store-contract.js';
import type { StoreBackend } from '../store-backend.js';
import { openPostgresStores } from './open-postgres-stores.js';

const postgres = usePostgres();

/** A fresh database; `open()` opens both stores on it, as one more process would. */
async function freshDatabase(): Promise<{
  url: string;
  open(): Promise<StoreBackend>;
  cleanup(): Promise<void>;
}> {
  const url = await postgres().createDatabase();
  const opened: StoreBackend[] = [];
  return {
    url,
    async open() {
      const stores = await openPostgresStores({ url, poolSize: 4 });
      opened.push(stores);
      return stores;
    },
    async cleanup() {
      for (const stores of opened.splice(0)) {
        await stores.jobs.close();
        await stores.store.close();
      }
      const admin = new pg.Client({ connectionString: postgres().url });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE ${new URL(url).pathname.slice(1)}`);
      } finally {
        await admin.end();
      }
    },
  };
}

describeJobStoreContract('postgres', async () => {
  const database = await freshDatabase();
  const { jobs, store } = await database.open();
  return {
    jobs,
    store,
    openAnother: () => database.open(),
    cleanup: () => database.cleanup(),
  };
});

const definition = (overrides: Partial<JobDefinition> = {}): JobDefinition => ({
  name: 'backup',
  command: './backup.sh',
  argv: null,
  cwd: '/srv',
  env: {},
  tags: {},
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

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function twoBackends(): Promise<{ a: StoreBackend; b: StoreBackend; url: string }> {
  const database = await freshDatabase();
  cleanups.push(() => database.cleanup());
  return { a: await database.open(), b: await database.open(), url: database.url };
}

describe('PostgresJobStore across processes', () => {
  it('records each (trigger, fire time) once when two backends race on it many times at once', async () => {
    const { a, b } = await twoBackends();
    const job = await a.jobs.createJob(definition());
    const triggerId = job.triggers[0]!.id;
    const fireTimes = Array.from({ length: 20 }, (_, i) => 1_800_000_000_000 + i * 1000);
    // Every fire time asked 4 times by each backend, all at once: 8 pooled connections racing.
    const attempts = fireTimes.flatMap((fireMs) =>
      [a, b, a, b, a, b, a, b].map((backend) =>
        backend.jobs.recordFire(
          { jobId: job.id, triggerId, fireMs, outcome: 'queued' },
          { triggerId, nextFireMs: fireMs + 1000 },
        ),
      ),
    );
    const records = (await Promise.all(attempts)).filter((record) => record !== undefined);
    expect(records.map((record) => Date.parse(record.fireTime)).sort()).toEqual(fireTimes);
    const fires = await b.jobs.listFires(job.id);
    expect(fires).toHaveLength(fireTimes.length);
    expect(new Set(fires.map((fire) => fire.fireTime)).size).toBe(fireTimes.length);
  });

  it('hands each pending retry to one claimer when two backends race to claim it', async () => {
    const { a, b } = await twoBackends();
    const job = await a.jobs.createJob(definition());
    const retries: PendingRetry[] = Array.from({ length: 20 }, (_, i) => ({
      jobId: job.id,
      failedExecutionId: `failed-${String(i).padStart(2, '0')}`,
      failedStatus: 'failed',
      attempt: 2,
      dueMs: 1_800_000_000_000 + i,
      scheduledAt: null,
    }));
    for (const retry of retries) await a.jobs.savePendingRetry(retry);
    const claims = await Promise.all(
      retries.flatMap((retry) =>
        [a, b, a, b, a, b, a, b].map((backend) => backend.jobs.claimPendingRetry(retry.failedExecutionId)),
      ),
    );
    const won = claims.filter((claim) => claim !== undefined);
    expect(won.sort((x, y) => x.dueMs - y.dueMs)).toEqual(retries);
    expect(await b.jobs.listPendingRetries()).toEqual([]);
  });

  it('gives every job its own newest runs in one read over many jobs', async () => {
    const { a } = await twoBackends();
    const ids: string[] = [];
    const newest = new Map<string, string[]>();
    for (let i = 0; i < 12; i++) {
      const job = await a.jobs.createJob(definition({ name: `job-${String(i).padStart(2, '0')}` }));
      ids.push(job.id);
      const runs: string[] = [];
      for (let attempt = 1; attempt <= i % 4; attempt++) {
        const link = { jobId: job.id, attempt, retryOfId: null, scheduledAt: null };
        runs.push(
          (
            await a.store.createExecution({
              spec: { command: 'true', cwd: '/' },
              job: link,
              status: 'running',
            })
          ).id,
        );
      }
      newest.set(job.id, runs.reverse().slice(0, 2));
    }
    const recent = await a.jobs.recentRuns([...ids, ids[0]!], 2);
    expect([...recent.keys()].sort()).toEqual([...ids].sort());
    for (const id of ids) expect(recent.get(id)?.map((run) => run.executionId)).toEqual(newest.get(id));
  });
});

describe('PostgresJobStore scheduler lease', () => {
  it('frees the lease when its holder’s connection dies: the holder finds out, another takes it', async () => {
    const { a, b, url } = await twoBackends();
    expect(await a.jobs.schedulerLease.tryAcquire()).toBe(true);
    expect(await b.jobs.schedulerLease.tryAcquire()).toBe(false);
    // As a server restart, a failover or a dead peer found by keepalive would end it.
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ ended: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_locks
          WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      expect(rows).toEqual([{ ended: true }]);
    } finally {
      await admin.end();
    }
    // The server frees the lock once the session has ended: another process takes it.
    const deadline = Date.now() + 10_000;
    while (!(await b.jobs.schedulerLease.tryAcquire())) {
      if (Date.now() > deadline) throw new Error('the lease was not freed');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // The old holder no longer leads: its next look fails (or finds the loss), then it waits.
    const look = await a.jobs.schedulerLease.tryAcquire().catch((error: unknown) => error);
    expect([false, expect.objectContaining({ code: 'store_unavailable' })]).toContainEqual(look);
    expect(await a.jobs.schedulerLease.tryAcquire()).toBe(false);
  });
});

describe('PostgresJobStore reads', () => {
  it('commits only a job it can read back: one it could not is refused and leaves nothing', async () => {
    const { a } = await twoBackends();
    const huge = definition({ triggers: [{ kind: 'interval', intervalSeconds: 8e12 }] });
    await expect(a.jobs.createJob(huge)).rejects.toMatchObject({ code: 'unreadable' });
    expect(await a.jobs.listJobs()).toEqual({ jobs: [], unreadable: [] });
    const job = await a.jobs.createJob(definition());
    expect((await a.jobs.listJobs()).jobs.map((j) => j.id)).toEqual([job.id]);
  });

  it('lists the readable jobs and names a damaged one, which getJob refuses and deleteJob removes', async () => {
    const { a, url } = await twoBackends();
    const good = await a.jobs.createJob(definition({ name: 'a-good' }));
    const bad = await a.jobs.createJob(definition({ name: 'b-bad' }));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('UPDATE jobs SET definition = $1 WHERE id = $2', ['{"command":', bad.id]);
    } finally {
      await client.end();
    }

    const list = await a.jobs.listJobs();
    expect(list.jobs.map((j) => j.id)).toEqual([good.id]);
    expect(list.unreadable).toEqual([
      { id: bad.id, name: 'b-bad', error: expect.stringMatching(/definition is not valid JSON/) },
    ]);
    await expect(a.jobs.getJob(bad.id)).rejects.toMatchObject({ code: 'unreadable' });
    // Pausing it fails and changes nothing; deleting it works.
    await expect(a.jobs.setEnabled(bad.id, false)).rejects.toMatchObject({ code: 'unreadable' });
    await a.jobs.deleteJob(bad.id);
    expect(await a.jobs.listJobs()).toEqual({
      jobs: [expect.objectContaining({ id: good.id })],
      unreadable: [],
    });
  });
});
