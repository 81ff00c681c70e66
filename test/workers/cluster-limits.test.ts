import type { ChildProcess } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionBody, ExecutionPageBody } from '../../src/protocol/api-schemas.js';
import { createJob, historyOf, runsOf, uniqueName } from '../jobs/jobs-client.js';
import { usePostgres } from '../helpers/postgres.js';
import { stopProcess, useScaledCluster } from '../helpers/scaled-cluster.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { call, startExecution, waitFor, waitForStatus } from '../server/execution-api-client.js';

// Limits that hold across the scaled mode (docs/WORKERS.md), all real processes on one fresh
// PostgreSQL database: two `stepflow server --no-runner` replicas with MAX_CONCURRENT_TASKS=2 and
// two `stepflow worker` processes with 3 slots each, each worker talking to one replica only.

const postgres = usePostgres();
const tempDir = useTempDirs();
const LIMIT = 2;

const cluster = useScaledCluster(tempDir);
let a = '';
let b = '';
let replicaA: ChildProcess | undefined;
let workerOnA: ChildProcess | undefined;
const REPLICA_ENV = { MAX_CONCURRENT_TASKS: String(LIMIT), STEPFLOW_WORKER_LEASE_SECONDS: '5' };

beforeAll(async () => {
  const url = await postgres().createDatabase();
  // A first: it migrates, and it holds the scheduler lease.
  const first = await cluster.startReplica(url, { env: REPLICA_ENV });
  replicaA = first.child;
  a = first.url;
  b = (await cluster.startReplica(url, { env: REPLICA_ENV })).url;
  [workerOnA] = await Promise.all([
    cluster.startWorker(a, { name: 'on-a', slots: 3 }),
    cluster.startWorker(b, { name: 'on-b', slots: 3 }),
  ]);
}, 60_000);

async function listed(url: string, name: string): Promise<ExecutionBody[]> {
  const response = await call<ExecutionPageBody>(url, 'GET', `/api/executions?limit=500`);
  if (response.status !== 200) throw new Error(`GET /api/executions: ${response.status} ${response.text}`);
  return response.body.items.filter((execution) => execution.name === name);
}

describe('MAX_CONCURRENT_TASKS and per-job limits across two --no-runner replicas', () => {
  it('never runs more than MAX_CONCURRENT_TASKS at once across replicas and workers; the others wait saying why, then all succeed', async () => {
    const name = uniqueName('limited');
    // Six slots among the workers, six runs, submitted to both replicas: only the limit holds them.
    const runs = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        startExecution(i % 2 === 0 ? a : b, { name, command: 'sleep 2', cwd: tempDir() }),
      ),
    );
    let most = 0;
    let polls = 0;
    let reason: string | undefined;
    const all = await waitFor(
      async () => {
        const seen = await listed(polls++ % 2 === 0 ? a : b, name);
        most = Math.max(most, seen.filter((run) => run.status === 'running').length);
        reason ??= seen.find((run) => run.status === 'queued' && run.waitingFor !== undefined)?.waitingFor;
        return seen.length === 6 && seen.every((run) => run.status === 'succeeded') && seen;
      },
      'six succeeded runs',
      60_000,
    );
    console.log(`at most ${most} running at once`);
    expect(most).toBeLessThanOrEqual(LIMIT);
    expect(most).toBe(LIMIT);
    expect(reason).toBe(`the cluster runs MAX_CONCURRENT_TASKS = ${LIMIT} runs already`);
    expect(all.map((run) => run.id).sort()).toEqual(runs.map((run) => run.id).sort());
    for (const run of all) expect(['on-a', 'on-b']).toContain(run.worker?.name);
  }, 90_000);

  it('does not start a second run of a maxConcurrentRuns 1 / skip job when the leader replica stops mid-run', async () => {
    // Only the worker of B runs anything from now on: A and its worker are about to go.
    await stopProcess(workerOnA!, 'SIGKILL');
    const job = await createJob(a, {
      name: uniqueName('one-at-a-time'),
      command: 'sleep 8',
      cwd: tempDir(),
      triggers: [{ intervalSeconds: 1 }],
      overlap: 'skip',
      maxConcurrentRuns: 1,
    });
    const first = await waitFor(
      async () => (await runsOf(b, job.id)).find((run) => run.status === 'running'),
      'the first run running',
      20_000,
    );
    expect(first.worker?.name).toBe('on-b');
    // The leader stops (its lease goes with it); B takes over within its 2 s lease check.
    await stopProcess(replicaA!, 'SIGTERM');
    const stoppedAt = Date.now();
    const ended = await waitForStatus(b, first.id, ['succeeded', 'failed', 'lost', 'cancelled'], 20_000);
    expect(ended.status).toBe('succeeded');
    const fires = await historyOf(b, job.id);
    const afterStop = fires.filter((fire) => Date.parse(fire.fireTime) > stoppedAt + 3000);
    // B led for a while and skipped each fire while the first run was open; no second run meanwhile.
    expect(afterStop.filter((fire) => fire.outcome === 'skipped').length).toBeGreaterThan(0);
    const runs = await runsOf(b, job.id);
    const overlapping = runs.filter(
      (run) => run.id !== first.id && Date.parse(run.createdAt) < Date.parse(ended.endedAt!),
    );
    expect(overlapping).toEqual([]);
    // And once it ended, B fires the next one.
    await waitFor(
      async () => (await runsOf(b, job.id)).some((run) => run.id !== first.id),
      'a run started by the new leader',
      20_000,
    );
    await call(b, 'POST', `/api/jobs/${job.id}/pause`);
  }, 90_000);
});
