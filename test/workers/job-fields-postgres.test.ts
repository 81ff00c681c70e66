import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionBody } from '../../src/protocol/api-schemas.js';
import { createJob, historyOf, runsOf } from '../jobs/jobs-client.js';
import { usePostgres } from '../helpers/postgres.js';
import { useScaledCluster } from '../helpers/scaled-cluster.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { call, getExecution, waitFor, waitForStatus } from '../server/execution-api-client.js';

// A job's runsOn and retryOnLost as deployed (docs/WORKERS.md): a `stepflow server --no-runner` on
// a fresh PostgreSQL database and real `stepflow worker` processes; a worker "dies" by SIGKILL.

const postgres = usePostgres();
const tempDir = useTempDirs();
const LEASE_SECONDS = 3;
const ENDED = ['succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted', 'lost'];

const cluster = useScaledCluster(tempDir);
const workers = new Map<string, ChildProcess>();
let server = '';

async function startWorker(name: string, labels: string): Promise<void> {
  workers.set(name, await cluster.startWorker(server, { name, labels }));
}

beforeAll(async () => {
  const url = await postgres().createDatabase();
  const env = { STEPFLOW_WORKER_LEASE_SECONDS: String(LEASE_SECONDS) };
  server = (await cluster.startReplica(url, { env })).url;
  await Promise.all([startWorker('w-one', 'pool,one'), startWorker('w-two', 'pool,two')]);
}, 60_000);

const runNow = async (jobId: string): Promise<string> => {
  const started = await call<ExecutionBody>(server, 'POST', `/api/jobs/${jobId}/run`);
  expect(started.status).toBe(201);
  return started.body.id;
};

/** Waits for the run's first line, then SIGKILLs the worker that claimed it; returns its name. */
async function killItsWorker(executionId: string): Promise<string> {
  await waitFor(
    async () => (await getExecution(server, executionId)).lineCount >= 1,
    'the first line',
    20_000,
  );
  const name = (await getExecution(server, executionId)).worker?.name ?? '';
  const worker = workers.get(name);
  expect(worker, `worker ${name}`).toBeDefined();
  worker!.kill('SIGKILL');
  workers.delete(name);
  return name;
}

describe("a job's runsOn and retryOnLost with real workers on PostgreSQL", () => {
  it('sends the runs of a job with runsOn only to a worker with those labels', async () => {
    const dir = tempDir();
    const [toTwo, toOne] = await Promise.all(
      (['two', 'one'] as const).map((label) =>
        createJob(server, {
          name: `to-${label}-${process.pid}`,
          command: 'echo hi',
          cwd: dir,
          triggers: [],
          runsOn: [label],
          overlap: 'parallel',
        }),
      ),
    );
    expect(toTwo!.runsOn).toEqual(['two']);
    const ids = [
      await runNow(toTwo!.id),
      await runNow(toTwo!.id),
      await runNow(toTwo!.id),
      await runNow(toOne!.id),
    ];
    const done = await Promise.all(ids.map((id) => waitForStatus(server, id, ENDED, 20_000)));
    const ran = await Promise.all(done.map((run) => getExecution(server, run.id)));
    expect(ran.map((run) => [run.status, run.worker?.name, run.runsOn])).toEqual([
      ['succeeded', 'w-two', ['two']],
      ['succeeded', 'w-two', ['two']],
      ['succeeded', 'w-two', ['two']],
      ['succeeded', 'w-one', ['one']],
    ]);
  }, 40_000);

  it("cancel-previous stops the job's run on its worker and starts the new one", async () => {
    // Before: the scheduler asked its own engine, which knows nothing of a worker's run, so the run
    // went on and the new fire waited for it to end by itself.
    const job = await createJob(server, {
      name: `previous-${process.pid}`,
      command: 'echo started; sleep 60',
      cwd: tempDir(),
      triggers: [{ intervalSeconds: 2 }],
      runsOn: ['pool'],
      overlap: 'cancel-previous',
    });
    try {
      await waitFor(
        async () => {
          const runs = await runsOf(server, job.id);
          return runs.length >= 2 && runs[1]!.status === 'running';
        },
        "the second fire's run running",
        20_000,
      );
      const [first, second] = await runsOf(server, job.id);
      expect(first!.status).toBe('cancelled');
      expect(first!.worker?.name).toMatch(/^w-/);
      expect(second!.worker?.name).toMatch(/^w-/);
      // Each fire stopped the one before: never two running at once.
      expect(
        (await runsOf(server, job.id)).filter((run) => run.status === 'running').length,
      ).toBeLessThanOrEqual(1);
    } finally {
      await call(server, 'POST', `/api/jobs/${job.id}/pause`);
      for (const run of await runsOf(server, job.id)) {
        if (!ENDED.includes(run.status)) await call(server, 'POST', `/api/executions/${run.id}/cancel`);
      }
    }
  }, 40_000);

  it('starts a lost run of a retryOnLost job again at once on the other worker, outside the retry budget', async () => {
    const dir = tempDir();
    // Attempt 1 hangs (its worker is killed), 2 (the lost one's) fails, 3 (the policy's) succeeds.
    fs.writeFileSync(
      path.join(dir, 'attempts.sh'),
      `if [ ! -e lost ]; then touch lost; echo first; sleep 60
elif [ ! -e failed ]; then touch failed; echo second; exit 3
else echo third; fi
`,
    );
    const job = await createJob(server, {
      name: `lost-${process.pid}`,
      argv: ['bash', 'attempts.sh'],
      cwd: dir,
      triggers: [],
      runsOn: ['pool'],
      retryOnLost: true,
      retry: { maxAttempts: 2, delaySeconds: 0 },
    });
    const first = await runNow(job.id);
    const killed = await killItsWorker(first);
    const other = killed === 'w-one' ? 'w-two' : 'w-one';
    const killedAt = Date.now();
    expect(await waitForStatus(server, first, ENDED, (LEASE_SECONDS + 10) * 1000)).toMatchObject({
      status: 'lost',
    });
    const lostAfter = Date.now() - killedAt;

    let runs: ExecutionBody[] = [];
    await waitFor(
      async () => {
        runs = await runsOf(server, job.id);
        return runs.length === 3 && runs.every((run) => ENDED.includes(run.status));
      },
      'three ended attempts',
      30_000,
    );
    const [, second, third] = runs;
    expect(second).toMatchObject({ status: 'failed', attempt: 2, retryOfId: first, exitCode: 3 });
    expect(third).toMatchObject({ status: 'succeeded', attempt: 3, retryOfId: second!.id });
    // At once: created while the lost one was being noticed, not after a retry delay.
    const lostRun = await getExecution(server, first);
    const secondRun = await getExecution(server, second!.id);
    const thirdRun = await getExecution(server, third!.id);
    expect(Date.parse(secondRun.createdAt) - Date.parse(lostRun.endedAt!)).toBeLessThan(lostAfter + 5000);
    expect([secondRun.worker?.name, thirdRun.worker?.name]).toEqual([other, other]);
    const [fire] = await historyOf(server, job.id);
    expect(fire).toMatchObject({ outcome: 'started', executionId: first });
    expect(fire!.reason).toMatch(
      new RegExp(`^manual run; attempt 1 was lost .*started again as ${second!.id}`),
    );
  }, 60_000);

  it('starts a lost run again only once: when that attempt is lost too, the run stays lost', async () => {
    await Promise.all([startWorker('w-twice-1', 'twice'), startWorker('w-twice-2', 'twice')]);
    const job = await createJob(server, {
      name: `lost-twice-${process.pid}`,
      command: 'echo started; sleep 60',
      cwd: tempDir(),
      triggers: [],
      runsOn: ['twice'],
      retryOnLost: true,
    });
    const first = await runNow(job.id);
    const firstWorker = await killItsWorker(first);
    await waitForStatus(server, first, ENDED, (LEASE_SECONDS + 10) * 1000);
    let second: ExecutionBody | undefined;
    await waitFor(
      async () => (second = (await runsOf(server, job.id))[1]) !== undefined,
      'the lost run started again',
      15_000,
    );
    expect(second).toMatchObject({ attempt: 2, retryOfId: first });
    const secondWorker = await killItsWorker(second!.id);
    expect(secondWorker).not.toBe(firstWorker);
    await waitForStatus(server, second!.id, ENDED, (LEASE_SECONDS + 10) * 1000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await runsOf(server, job.id)).map((run) => [run.id, run.status])).toEqual([
      [first, 'lost'],
      [second!.id, 'lost'],
    ]);
  }, 60_000);

  it('leaves a lost run of a job without retryOnLost lost, with no new run', async () => {
    await startWorker('w-doomed', 'doomed');
    const job = await createJob(server, {
      name: `stays-lost-${process.pid}`,
      command: 'echo first; sleep 60',
      cwd: tempDir(),
      triggers: [],
      runsOn: ['doomed'],
      retry: { maxAttempts: 3, delaySeconds: 0 },
    });
    const first = await runNow(job.id);
    await killItsWorker(first);
    expect(await waitForStatus(server, first, ENDED, (LEASE_SECONDS + 10) * 1000)).toMatchObject({
      status: 'lost',
    });
    // A retry would be submitted at once (delay 0): give it ample time to show up.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await runsOf(server, job.id)).map((run) => [run.id, run.status])).toEqual([[first, 'lost']]);
    const [fire] = await historyOf(server, job.id);
    expect(fire).toMatchObject({ outcome: 'started', executionId: first, reason: 'manual run' });
  }, 40_000);
});
