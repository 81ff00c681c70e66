import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { usePostgres } from '../../test/helpers/postgres.js';
import { validateJob } from '../core/jobs/validate-job.js';
import { createEngine } from '../engine/engine.js';
import { createEventBus } from '../engine/event-bus.js';
import { createStoreWriter } from '../engine/store-writer.js';
import { createProcessMonitor } from '../runner/process-monitor.js';
import { currentOwner } from '../runner/process-owner.js';
import { openPostgresStores } from '../store/postgres/open-postgres-stores.js';
import type { StoreBackend } from '../store/store-backend.js';
import { createScheduler, type Scheduler } from './scheduler.js';

const postgres = usePostgres();
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  // Reverse order: the processes before the database they use.
  for (const close of closers.splice(0).reverse()) await close();
});

/** One StepFlow server's scheduling parts, as the composition root wires them, on `url`. */
async function replica(url: string, dir: string) {
  const backend: StoreBackend = await openPostgresStores({ url, poolSize: 4 });
  const bus = createEventBus();
  const owner = currentOwner();
  const writer = createStoreWriter({ store: backend.store, owner });
  const unsubscribe = bus.subscribe(writer.handle);
  const monitor = createProcessMonitor();
  const engine = createEngine({ store: backend.store, bus, monitor, owner, dataDir: dir, killGraceMs: 500 });
  const scheduler: Scheduler = createScheduler({ jobs: backend.jobs, engine, bus, leaseCheckMs: 300 });
  const fired: string[] = [];
  bus.subscribe((event) => {
    if (event.type === 'fire.started' && !event.manual) fired.push(event.fireTime);
  });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await scheduler.stop();
    await engine.shutdown();
    await writer.close();
    unsubscribe();
    monitor.close();
    await backend.jobs.close();
    await backend.store.close();
  };
  closers.push(close);
  return { ...backend, scheduler, fired, close };
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A fresh database with two replicas on it, and the defaults of a job that runs `true`. */
async function twoReplicas() {
  const url = await postgres().createDatabase();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-replicas-'));
  closers.push(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    const admin = new pg.Client({ connectionString: postgres().url });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });
  const a = await replica(url, dir);
  const b = await replica(url, dir);
  const defaults = { command: 'true', argv: null, cwd: dir, env: {}, tags: {}, timeoutSeconds: null };
  return { a, b, defaults };
}

describe('schedulers of two replicas on one PostgreSQL database', () => {
  it('fire an every-second job once per fire time, from one leader, and the other takes over when it stops', async () => {
    const { a, b, defaults } = await twoReplicas();
    // Two jobs: more fire times to race on, each a chance for the follower to fire one too.
    const jobs = await Promise.all(
      ['every-second-1', 'every-second-2'].map((name) =>
        a.jobs.createJob(
          validateJob({ name, triggers: [{ intervalSeconds: 1 }], overlap: 'parallel' }, defaults),
        ),
      ),
    );
    await a.scheduler.start();
    await b.scheduler.start();

    await until(() => a.fired.length >= 8, 'eight fires on the first replica');
    expect(b.fired).toEqual([]);

    // The leader goes away (shutdown): the other takes the lease and goes on firing.
    await a.close();
    const firedByA = a.fired.length;
    await until(() => b.fired.length >= 4, 'four fires on the second replica');
    await b.scheduler.stop();
    expect(a.fired).toHaveLength(firedByA);

    for (const job of jobs) {
      const fires = await b.jobs.listFires(job.id, { limit: 1000 });
      const times = fires.filter((fire) => fire.outcome !== 'missed').map((fire) => fire.fireTime);
      // Each fire time once, and each run by exactly one replica.
      expect(new Set(times).size).toBe(times.length);
      const ofJob = (list: string[]) => list.filter((time) => times.includes(time));
      expect(ofJob(a.fired).length + ofJob(b.fired).length).toBe(times.length);
      expect(ofJob(a.fired).filter((time) => b.fired.includes(time))).toEqual([]);
      // One execution per fire that started one.
      const started = fires.filter((fire) => fire.executionId !== null);
      const runs = (await b.jobs.recentRuns([job.id], 1000)).get(job.id) ?? [];
      expect(new Set(started.map((fire) => fire.executionId)).size).toBe(started.length);
      expect(runs).toHaveLength(started.length);
    }
  }, 60_000);

  it('fire a job created and paused through the other replica: the leader sees the changes', async () => {
    const { a, b, defaults } = await twoReplicas();
    await a.scheduler.start();
    await b.scheduler.start();
    // What the application does on replica B: save, then reload B's scheduler (not the leader's).
    const job = await b.jobs.createJob(
      validateJob({ name: 'made-on-b', triggers: [{ intervalSeconds: 1 }], overlap: 'parallel' }, defaults),
    );
    await b.scheduler.reload(job.id);
    await until(() => a.fired.length >= 2, 'two fires of the new job on the leader');
    await b.jobs.setEnabled(job.id, false);
    await b.scheduler.reload(job.id);
    // Within a lease check (0.3 s) and a fire already under way, the leader stops firing it.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const firedWhilePaused = a.fired.length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(a.fired).toHaveLength(firedWhilePaused);
    expect(b.fired).toEqual([]);
    expect((await a.jobs.getJob(job.id))?.triggers[0]?.nextFireMs).toBeNull();
  }, 60_000);

  it('count a job’s runs left going by the previous leader: maxConcurrentRuns 1 with overlap skip holds across a take-over', async () => {
    const { a, b, defaults } = await twoReplicas();
    const job = await a.jobs.createJob(
      validateJob(
        {
          name: 'one-at-a-time',
          triggers: [{ intervalSeconds: 1 }],
          overlap: 'skip',
          maxConcurrentRuns: 1,
        },
        // Long enough to outlive the leader's scheduler by a few fires.
        { ...defaults, command: 'sleep 4' },
      ),
    );
    await a.scheduler.start();
    await b.scheduler.start();
    await until(() => a.fired.length >= 1, 'the first run on the leader');
    // The leader stops scheduling (its lease goes) while its run goes on in its engine.
    await a.scheduler.stop();
    const first = (await a.jobs.openRuns(job.id))[0];
    expect(first).toBeDefined();
    // B takes the lease within 0.3 s and fires every second: each fire must be skipped.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await a.jobs.openRuns(job.id)).toEqual([first]);
    expect(b.fired).toEqual([]);
    const skipped = (await b.jobs.listFires(job.id)).filter((fire) => fire.outcome === 'skipped');
    expect(skipped.length).toBeGreaterThan(0);
    // Once it ends, the new leader starts the next one.
    await until(() => b.fired.length >= 1, 'a run fired by the new leader', 20_000);
    const runs = (await b.jobs.recentRuns([job.id], 10)).get(job.id) ?? [];
    const firstRun = runs.find((run) => run.executionId === first);
    const next = runs.find((run) => run.executionId !== first);
    expect(firstRun?.status).toBe('succeeded');
    expect(Date.parse(next!.createdAt)).toBeGreaterThanOrEqual(
      Date.parse(firstRun!.startedAt!) + firstRun!.durationMs!,
    );
  }, 60_000);

  it('count a run started by "run now" on another replica against the leader’s limit', async () => {
    const { a, b, defaults } = await twoReplicas();
    await a.scheduler.start();
    await b.scheduler.start();
    const job = await b.jobs.createJob(
      validateJob(
        {
          name: 'run-now-elsewhere',
          triggers: [{ intervalSeconds: 1 }],
          maxConcurrentRuns: 1,
        },
        { ...defaults, command: 'sleep 3' },
      ),
    );
    // Run now on B (not the leader), then the leader A learns of the job and fires every second.
    const manual = await b.scheduler.runNow(job.id);
    await a.scheduler.reload(job.id);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await a.jobs.openRuns(job.id)).toEqual([manual.id]);
    expect(a.fired).toEqual([]);
    await until(() => a.fired.length >= 1, 'a fire once the manual run ended', 20_000);
  }, 60_000);
});
