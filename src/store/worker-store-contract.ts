import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostSample } from '../core/host.js';
import type { WorkerIdentity } from '../core/workers.js';
import type { ExecutionStore } from './store.js';
import type { WorkerStore } from './worker-store.js';

/** Fresh storage for one test: both ports on one database, and a second connection to it. */
export interface WorkerStoreHarness {
  store: ExecutionStore;
  workers: WorkerStore;
  /** Another process's view of the same database. */
  openAnother(): Promise<{ store: ExecutionStore; workers: WorkerStore }>;
  cleanup(): Promise<void>;
}

const worker = (name: string, labels: string[] = []): WorkerIdentity => ({
  name,
  host: 'host-a',
  labels,
  slots: 2,
  version: '1.2.3',
});
const T0 = '2030-01-01T00:00:00.000Z';
const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();

/**
 * The {@link WorkerStore} contract, run against every backend (`sqlite/sqlite-worker-store.test.ts`):
 * one claim, one heartbeat, one expiry sweep, one registry read, one cancel of an unclaimed run.
 */
export function describeWorkerStoreContract(name: string, open: () => Promise<WorkerStoreHarness>): void {
  describe(`WorkerStore contract (${name})`, () => {
    let harness: WorkerStoreHarness;
    let store: ExecutionStore;
    let workers: WorkerStore;
    beforeEach(async () => {
      harness = await open();
      ({ store, workers } = harness);
    });
    afterEach(async () => harness.cleanup());

    const submit = (runsOn: string[] | undefined, name = 'job') =>
      store.createExecution({
        spec: { name, command: 'echo hi', cwd: '/tmp', env: { SECRET: 's3' } },
        createdAt: T0,
        ...(runsOn === undefined ? {} : { runsOn }),
      });

    it('claims the oldest queued run for workers whose labels the worker has, once, with attempt 1', async () => {
      const local = await submit(undefined, 'local');
      const gpu = await submit(['gpu'], 'gpu');
      const any = await submit([], 'any');
      expect(gpu.runsOn).toEqual(['gpu']);

      const first = await workers.claimExecution(worker('w1', ['linux']), at(1));
      expect(first).toMatchObject({ attempt: 1, spec: { command: 'echo hi', env: { SECRET: 's3' } } });
      expect(first!.execution).toMatchObject({
        id: any.id,
        status: 'running',
        startedAt: at(1),
        worker: { name: 'w1', attempt: 1 },
      });
      // Nothing else fits w1: the local run is the submitter's, the gpu run needs a label it lacks.
      expect(await workers.claimExecution(worker('w1', ['linux']), at(2))).toBeUndefined();
      const second = await workers.claimExecution(worker('w2', ['gpu', 'linux']), at(3));
      expect(second!.execution.id).toBe(gpu.id);
      expect((await store.getExecution(gpu.id))!.worker).toEqual({ name: 'w2', attempt: 1 });
      expect((await store.getExecution(local.id))!.status).toBe('queued');
      expect((await store.getExecution(local.id))!.worker).toBeUndefined();
    });

    it('gives each run to exactly one of many concurrent claims from two connections', async () => {
      const other = await harness.openAnother();
      const ids = new Set<string>();
      for (let i = 0; i < 20; i++) ids.add((await submit([])).id);
      const claims = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 === 0 ? workers : other.workers).claimExecution(worker(`w${i % 2}`), at(1)),
        ),
      );
      const claimed = claims.filter((c) => c !== undefined).map((c) => c.execution.id);
      expect(claimed.sort()).toEqual([...ids].sort());
    });

    it('never has more than N running across concurrent claims from two connections (maxRunning)', async () => {
      const other = await harness.openAnother();
      for (let i = 0; i < 12; i++) await submit([]);
      // A run of some process's own engine counts as much as a claimed one.
      const local = await store.createExecution({
        spec: { name: 'local', command: 'sleep 1', cwd: '/tmp' },
        createdAt: T0,
        status: 'running',
      });
      expect(local.status).toBe('running');
      const limits = { maxRunning: 3 };
      const race = () =>
        Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            (i % 2 === 0 ? workers : other.workers).claimExecution(worker(`w${i % 2}`), at(1), limits),
          ),
        );
      const taken = (await race()).filter((c) => c !== undefined);
      expect(taken).toHaveLength(2);
      expect(await workers.countRunning()).toBe(3);
      expect(await other.workers.countRunning()).toBe(3);
      expect((await store.listExecutions({ status: ['queued'] })).items).toHaveLength(10);
      // Once one ends, exactly one more is taken, whichever connection asks.
      await store.write({ executions: [{ ...taken[0]!.execution, status: 'succeeded', endedAt: at(2) }] });
      expect((await race()).filter((c) => c !== undefined)).toHaveLength(1);
      expect(await workers.countRunning()).toBe(3);
      // Without a limit, claims go on.
      expect(await workers.claimExecution(worker('w9'), at(3))).toBeDefined();
    });

    it('registers workers on claims and heartbeats, renews leases, and names stale and cancelled runs', async () => {
      const a = await submit([]);
      const b = await submit([]);
      const w = worker('w1', ['gpu']);
      await workers.claimExecution(w, at(1));
      await workers.claimExecution(w, at(1));
      await store.requestCancel(b.id, at(2));
      const beat = await workers.heartbeat(
        w,
        [
          { executionId: a.id, attempt: 1 },
          { executionId: b.id, attempt: 1 },
          // An attempt it does not hold (it came back from a partition after a new claim).
          { executionId: a.id, attempt: 2 },
        ],
        at(5),
      );
      expect(beat).toEqual({ stale: [a.id], cancelRequested: [b.id] });
      expect(await workers.listWorkers()).toEqual([
        {
          name: 'w1',
          host: 'host-a',
          labels: ['gpu'],
          slots: 2,
          version: '1.2.3',
          lastSeenAt: at(5),
          running: [
            { executionId: a.id, attempt: 1 },
            { executionId: b.id, attempt: 1 },
          ],
        },
      ]);
      // Its lease now runs from the heartbeat: a sweep up to then leaves both alone.
      expect(await workers.expireClaims(at(5), 30_000, at(40))).toEqual([]);
    });

    it('ends a run whose lease expired as lost at its last sign of life, lines kept, open steps closed', async () => {
      const run = await submit([]);
      await workers.claimExecution(worker('w1'), at(1));
      const step = {
        id: 1,
        parentId: null,
        name: 'build',
        status: 'running' as const,
        startedAt: at(2),
        endedAt: null,
        durationMs: null,
        meta: {},
        implicit: false,
        source: 'stepflow' as const,
        error: null,
        estimatedDurationSeconds: null,
        firstSeq: 1,
        hasSummary: false,
      };
      await store.write({
        steps: [{ executionId: run.id, step }],
        lines: [
          {
            executionId: run.id,
            lines: [{ seq: 1, ts: Date.parse(at(3)), stream: 'stdout', stepId: 1, text: 'before', flags: 0 }],
          },
        ],
      });
      await workers.heartbeat(worker('w1'), [{ executionId: run.id, attempt: 1 }], at(4));

      expect(await workers.expireClaims(at(4), 30_000, at(40))).toEqual([]);
      const lost = await workers.expireClaims(at(10), 30_000, at(40));
      expect(lost.map((e) => [e.id, e.status, e.endedAt])).toEqual([[run.id, 'lost', at(4)]]);
      expect(lost[0]!.error).toMatch(/w1.*30 s/);
      const stored = (await store.getExecution(run.id))!;
      expect(stored).toMatchObject({ status: 'lost', endedAt: at(4), durationMs: 3000, lineCount: 1 });
      expect(stored.steps[0]).toMatchObject({ status: 'cancelled', endedAt: at(4), durationMs: 2000 });
      expect((await store.readLog(run.id)).lines.map((l) => l.text)).toEqual(['before']);
      // Once lost, the worker's heartbeat no longer renews it, and a second sweep finds nothing.
      expect(
        (await workers.heartbeat(worker('w1'), [{ executionId: run.id, attempt: 1 }], at(41))).stale,
      ).toEqual([run.id]);
      expect(await workers.expireClaims(at(100), 30_000, at(100))).toEqual([]);
      // A late report that raced the sweep does not reopen it.
      await store.write({ executions: [{ ...lost[0]!, status: 'running', endedAt: null }] });
      expect((await store.getExecution(run.id))!.status).toBe('lost');
      // Crash recovery never judges a run for workers by an owner's pid.
      expect(await store.recoverInterrupted(() => false)).toEqual([]);
    });

    it("keeps each worker's latest host sample from its heartbeats, seen by every connection; one without a sample clears it", async () => {
      const sample = (ts: number, cpu: number): HostSample => ({
        ts,
        cpu: { percent: cpu, perCore: [cpu, cpu] },
        load: { one: 0.5, five: 0.25, fifteen: 0.125 },
        memory: { totalBytes: 8e9, availableBytes: 6e9, usedBytes: 2e9 },
        swap: null,
        disk: { path: '/var/lib/stepflow', totalBytes: 1e11, usedBytes: 4e10, freeBytes: 6e10 },
        network: { rxBytesPerSecond: 1200, txBytesPerSecond: 800 },
        processCount: 120,
        uptimeSeconds: 3600,
        stepflow: { rssBytes: 9e7, cpuPercent: 1.5 },
        unavailable: ['swap'],
      });
      await workers.heartbeat(worker('w1'), [], at(1), sample(1, 10));
      await workers.heartbeat(worker('w2'), [], at(1));
      expect(await workers.workerHostSamples()).toEqual([
        { name: 'w1', host: 'host-a', sample: sample(1, 10) },
      ]);
      await workers.heartbeat(worker('w1'), [], at(2), sample(2, 55.5));
      const other = await harness.openAnother();
      expect(await other.workers.workerHostSamples()).toEqual([
        { name: 'w1', host: 'host-a', sample: sample(2, 55.5) },
      ]);
      // A worker of an older version took the name over: it sends none, and the stale one goes.
      await workers.heartbeat(worker('w1'), [], at(3));
      expect(await other.workers.workerHostSamples()).toEqual([]);
    });

    it('cancels a queued run for workers only while no worker has claimed it', async () => {
      const waiting = await submit(['gpu']);
      const claimed = await submit([]);
      await workers.claimExecution(worker('w1'), at(1));
      const cancelled = await workers.cancelUnclaimed(waiting.id, at(2), 'Cancelled while queued.');
      expect(cancelled).toMatchObject({ id: waiting.id, status: 'cancelled', endedAt: at(2) });
      expect(await workers.cancelUnclaimed(claimed.id, at(2), 'x')).toBeUndefined();
      expect(await workers.cancelUnclaimed(waiting.id, at(3), 'x')).toBeUndefined();
      expect(await workers.claimExecution(worker('w2', ['gpu']), at(4))).toBeUndefined();
      expect((await store.listExecutions({ status: ['cancelled'] })).items.map((e) => e.id)).toEqual([
        waiting.id,
      ]);
    });
  });
}
