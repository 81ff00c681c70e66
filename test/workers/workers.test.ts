import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseConfig } from '../../src/config.js';
import { generateSecretKey } from '../../src/secrets/secret-key.js';
import type { ExecutionDetailBody } from '../../src/protocol/api-schemas.js';
import { usePostgres } from '../helpers/postgres.js';
import { runCli, startCli, waitForOutput } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';
import {
  call,
  getExecution,
  startExecution,
  waitFor,
  waitForStatus,
} from '../server/execution-api-client.js';

const tempDir = useTempDirs();
const startServer = useTestServers();
const workers: ChildProcess[] = [];
afterEach(async () => {
  // Workers first (they report to the server), each by its own pid.
  await Promise.all(
    workers.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
});

const ENDED = ['succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted', 'lost'];

/** A real `stepflow worker` from dist/, started and registered. */
async function startWorker(
  server: TestServer,
  args: string[],
  env: Record<string, string> = {},
): Promise<{
  child: ChildProcess;
  output: () => string;
  result: Promise<{ code: number | null; stderr: string }>;
}> {
  const { child, result } = startCli(['worker', '--server', server.url, ...args], {
    dataDir: tempDir(),
    env: { STEPFLOW_SPOOL_DIR: tempDir(), ...env },
  });
  workers.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitForOutput(child, (stdout) => stdout.includes('claiming runs'), 20_000);
  return { child, output: () => out, result };
}

const logOf = async (server: TestServer, id: string): Promise<string[]> =>
  (
    await call<{ lines: { text: string }[] }>(server.url, 'GET', `/api/executions/${id}/logs?limit=10000`)
  ).body.lines.map((l) => l.text);

// Every case on both stores: the claims, leases, fencing and routing are SQL of each backend's own.
const postgres = usePostgres();
const BACKENDS = [
  { name: 'SQLite', database: async () => ({}) },
  {
    name: 'PostgreSQL',
    // A key, as every replica on PostgreSQL needs one for secrets (docs/SECRETS.md).
    database: async () => ({
      database: databaseConfig(await postgres().createDatabase(), {}),
      secretKey: generateSecretKey(),
    }),
  },
];

describe.each(BACKENDS)('stepflow worker on $name', ({ database }) => {
  const serve = async (settings: Parameters<typeof startServer>[0] = {}): Promise<TestServer> =>
    startServer({ ...settings, config: { ...settings.config, ...(await database()) } });
  const noRunner = (lease = 30) => serve({ config: { runsLocally: false, workerLeaseMs: lease * 1000 } });

  it('runs nothing on a --no-runner server until a worker claims the run; its log and steps arrive', async () => {
    const server = await noRunner();
    const cwd = tempDir();
    const run = await startExecution(server.url, {
      command:
        'echo STEP_START:build; echo "hello from $(hostname)"; printf %s "$DB_PASSWORD" | sha256sum; echo STEP_COMPLETE:build',
      cwd,
      secretEnv: { DB_PASSWORD: 'wk-Secret-5tGb83' },
    });
    expect(run.status).toBe('queued');
    // Stored sealed while it waits; the claim hands the worker the value (its log has its hash).
    expect(JSON.stringify(await server.stepflow.store.getRunSpec(run.id))).not.toContain('wk-Secret-5tGb83');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    // Nothing ran it: no worker yet, and the page says so.
    expect(await getExecution(server.url, run.id)).toMatchObject({
      status: 'queued',
      lineCount: 0,
      waitingFor: 'no live worker',
    });

    await startWorker(server, ['--name', 'w1']);
    const done = await waitForStatus(server.url, run.id, ENDED, 20_000);
    expect(done).toMatchObject({ status: 'succeeded', exitCode: 0, worker: { name: 'w1', attempt: 1 } });
    expect(done.waitingFor).toBeUndefined();
    expect(done.steps.map((s) => [s.name, s.status])).toEqual([['build', 'succeeded']]);
    expect(await logOf(server, run.id)).toContain(`hello from ${(await import('node:os')).hostname()}`);
    const hash = (await import('node:crypto')).createHash('sha256').update('wk-Secret-5tGb83').digest('hex');
    expect((await logOf(server, run.id)).join('\n')).toContain(hash);

    const list = await call<{ workers: { name: string; live: boolean; running: unknown[] }[] }>(
      server.url,
      'GET',
      '/api/workers',
    );
    expect(list.body.workers).toEqual([expect.objectContaining({ name: 'w1', live: true, running: [] })]);
  });

  it('gives each of 50 concurrent submissions to exactly one of two workers, every line stored once', async () => {
    const server = await noRunner();
    const cwd = tempDir();
    await startWorker(server, ['--name', 'a', '--slots', '3']);
    await startWorker(server, ['--name', 'b', '--slots', '3']);
    const runs = await Promise.all(
      Array.from({ length: 50 }, (_, i) => startExecution(server.url, { command: `echo run-${i}`, cwd })),
    );
    const ended = await Promise.all(runs.map((run) => waitForStatus(server.url, run.id, ENDED, 90_000)));
    expect(ended.map((e) => e.status)).toEqual(runs.map(() => 'succeeded'));
    expect(ended.every((e) => e.worker?.attempt === 1)).toBe(true);
    expect(new Set(ended.map((e) => e.worker?.name))).toEqual(new Set(['a', 'b']));
    for (const [i, run] of runs.entries()) expect(await logOf(server, run.id)).toEqual([`run-${i}`]);
  }, 120_000);

  it('marks a run lost within the lease when its worker is SIGKILLed, keeping the lines it sent', async () => {
    const server = await noRunner(2);
    const worker = await startWorker(server, ['--name', 'doomed']);
    const run = await startExecution(server.url, {
      command: 'echo STEP_START:work; echo before-the-crash; sleep 60',
      cwd: tempDir(),
    });
    await waitFor(
      async () => (await logOf(server, run.id)).includes('before-the-crash'),
      'the first line',
      20_000,
    );
    const killedAt = Date.now();
    worker.child.kill('SIGKILL');
    const lost = await waitForStatus(server.url, run.id, ENDED, 15_000);
    // Lease 2 s, swept every 0.5 s: well within lease + a few seconds.
    expect(Date.now() - killedAt).toBeLessThan(2000 + 5000);
    expect(lost).toMatchObject({ status: 'lost', worker: { name: 'doomed', attempt: 1 } });
    expect(lost.error).toMatch(/worker doomed sent no heartbeat/);
    expect(Date.parse(lost.endedAt!)).toBeLessThanOrEqual(killedAt + 100);
    expect(lost.steps.map((s) => s.status)).toEqual(['cancelled']);
    expect(await logOf(server, run.id)).toEqual(['STEP_START:work', 'before-the-crash']);
    expect((await call(server.url, 'GET', '/api/executions?status=lost')).body).toMatchObject({
      items: [expect.objectContaining({ id: run.id })],
    });
  }, 40_000);

  it('refuses a report of a stale attempt, and any report once the run is lost, with 409 stale_attempt', async () => {
    const server = await noRunner(2);
    const worker = await startWorker(server, ['--name', 'w']);
    const run = await startExecution(server.url, { command: 'echo one; sleep 60', cwd: tempDir() });
    await waitFor(async () => (await logOf(server, run.id)).includes('one'), 'the first line', 20_000);
    const batch = (attempt: string) =>
      call<{ error: { code: string; message: string } }>(
        server.url,
        'POST',
        `/api/remote/executions/${run.id}/batches`,
        { lines: [{ seq: 2, ts: Date.now(), stream: 'stdout', stepId: null, text: 'forged', flags: 0 }] },
        { 'stepflow-attempt': attempt },
      );
    const stale = await batch('2');
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('stale_attempt');
    expect(stale.body.error.message).toMatch(/attempt 2 .* is stale: it is at attempt 1/);

    worker.child.kill('SIGKILL');
    await waitForStatus(server.url, run.id, ['lost'], 15_000);
    const late = await batch('1');
    expect(late.status).toBe(409);
    expect(late.body.error.message).toMatch(/is lost/);
    expect(await logOf(server, run.id)).toEqual(['one']);
  }, 40_000);

  it('keeps a claimed run running when its worker reports it still queued (its engine had not started it yet)', async () => {
    const server = await noRunner();
    const run = await startExecution(server.url, { command: 'sleep 60', cwd: tempDir() });
    const worker = { name: 'w', host: 'h', labels: [], slots: 1, version: 't' };
    const claim = await call<{ executionId: string; attempt: number }>(
      server.url,
      'POST',
      '/api/workers/claim',
      {
        worker,
      },
    );
    expect(claim.body).toMatchObject({ executionId: run.id, attempt: 1 });
    const claimed = await getExecution(server.url, run.id);
    // What the worker's spool holds between its engine's create and start: queued, not started.
    const early = {
      id: run.id,
      name: 'sleep 60',
      command: 'sleep 60',
      argv: null,
      cwd: '/tmp',
      tags: {},
      status: 'queued',
      exitCode: null,
      signal: null,
      error: null,
      createdAt: new Date().toISOString(),
      startedAt: null,
      endedAt: null,
      durationMs: null,
      timeoutSeconds: null,
      meta: {},
      owner: { host: 'h', pid: 4242, startTime: 1 },
      lineCount: 0,
      resources: null,
    };
    const batch = await call(
      server.url,
      'POST',
      `/api/remote/executions/${run.id}/batches`,
      {
        execution: early,
        lines: [{ seq: 1, ts: Date.now(), stream: 'stdout', stepId: null, text: 'one', flags: 0 }],
      },
      { 'stepflow-attempt': '1' },
    );
    expect(batch.status).toBe(200);
    expect(await getExecution(server.url, run.id)).toMatchObject({
      status: 'running',
      startedAt: claimed.startedAt,
      worker: { name: 'w', attempt: 1 },
    });
    const beat = await call<{ stale: string[] }>(server.url, 'POST', '/api/workers/heartbeat', {
      worker,
      runs: [{ executionId: run.id, attempt: 1 }],
    });
    expect(beat.body.stale).toEqual([]);
  }, 30_000);

  it('routes a run with runsOn only to a worker with those labels; without one it waits, saying why', async () => {
    // A plain server (it runs what has no labels) still leaves labelled runs to workers.
    const server = await serve({ config: { workerLeaseMs: 30_000 } });
    const cwd = tempDir();
    const plain = await startWorker(server, ['--name', 'plain', '--labels', 'linux']);
    const gpuRun = await startExecution(server.url, { command: 'echo on-gpu', cwd, runsOn: ['gpu'] });
    const local = await startExecution(server.url, { command: 'echo local', cwd });
    expect((await waitForStatus(server.url, local.id, ENDED, 20_000)).worker).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await getExecution(server.url, gpuRun.id)).toMatchObject({
      status: 'queued',
      runsOn: ['gpu'],
      waitingFor: 'no live worker has label gpu',
    });
    const listed = await call<{ items: ExecutionDetailBody[] }>(
      server.url,
      'GET',
      '/api/executions?status=queued',
    );
    expect(listed.body.items).toEqual([
      expect.objectContaining({ id: gpuRun.id, waitingFor: 'no live worker has label gpu' }),
    ]);
    // The CLI reading the data dir itself (without the engine) says the same.
    const { database: db } = server.stepflow.config;
    const ls = await runCli(
      ['ls', '--json', '--status', 'queued', ...(db ? ['--database-url', db.url] : [])],
      { dataDir: server.dataDir },
    );
    expect(JSON.parse(ls.stdout)).toMatchObject({
      items: [{ id: gpuRun.id, waitingFor: 'no live worker has label gpu' }],
    });

    await startWorker(server, ['--name', 'gpu-box', '--labels', 'gpu,linux']);
    const done = await waitForStatus(server.url, gpuRun.id, ENDED, 20_000);
    expect(done).toMatchObject({ status: 'succeeded', worker: { name: 'gpu-box' } });
    expect(plain.output()).not.toContain(gpuRun.id);
  }, 60_000);

  it('runs `stepflow run --server --runs-on` on a worker with the labels, printing its log and exiting with its code', async () => {
    const server = await noRunner();
    const cwd = tempDir();
    const run = startCli(
      [
        'run',
        '--server',
        server.url,
        '--runs-on',
        'gpu',
        '--name',
        'train',
        '--',
        'echo STEP_START:fit; echo "epoch 1 in $PWD"; exit 3',
      ],
      { dataDir: tempDir(), cwd },
    );
    workers.push(run.child);
    // No worker with gpu yet: it waits, and says why.
    await waitFor(
      async () =>
        (await call<{ items: ExecutionDetailBody[] }>(server.url, 'GET', '/api/executions')).body.items
          .length === 1,
      'the submitted run',
      20_000,
    );
    await startWorker(server, ['--name', 'gpu-box', '--labels', 'gpu']);
    const { code, stdout, stderr } = await run.result;
    expect(stderr).toMatch(/submitted to http:\/\/127\.0\.0\.1:\d+ for a worker with gpu/);
    expect(stderr).toContain('waits: no live worker has label gpu');
    expect(stderr).toContain('runs on worker gpu-box');
    expect(stderr).toMatch(/ failed: exited with code 3 \(.*exit 3 · 2 lines · worker gpu-box\)/);
    expect(stdout).toBe(`STEP_START:fit\nepoch 1 in ${cwd}\n`);
    expect(code).toBe(3);
    const [stored] = (await call<{ items: ExecutionDetailBody[] }>(server.url, 'GET', '/api/executions')).body
      .items;
    expect(stored).toMatchObject({
      name: 'train',
      runsOn: ['gpu'],
      status: 'failed',
      worker: { name: 'gpu-box' },
    });
  }, 60_000);

  it('brings a cancel from the API to the worker running the run within about a second', async () => {
    const server = await noRunner();
    await startWorker(server, ['--name', 'w']);
    const run = await startExecution(server.url, { command: 'echo started; sleep 60', cwd: tempDir() });
    await waitFor(async () => (await logOf(server, run.id)).includes('started'), 'the first line', 20_000);
    expect((await getExecution(server.url, run.id)).worker).toEqual({ name: 'w', attempt: 1 });
    const asked = Date.now();
    const cancel = await call(server.url, 'POST', `/api/executions/${run.id}/cancel`);
    expect(cancel.status).toBeLessThan(300);
    const ended = await waitForStatus(server.url, run.id, ENDED, 15_000);
    expect(ended).toMatchObject({ status: 'cancelled', worker: { name: 'w', attempt: 1 } });
    // Heartbeat every second, then the kill and the last report: generous for a loaded machine.
    expect(Date.now() - asked).toBeLessThan(5000);
  }, 40_000);

  it('takes a worker token on worker routes only, and refuses a worker with a wrong token', async () => {
    const server = await serve({
      env: { STEPFLOW_API_KEY: 'admin-key', STEPFLOW_WORKER_TOKEN: 'worker-token' },
      config: { runsLocally: false },
    });
    const asWorker = { authorization: 'Bearer worker-token' };
    const identity = { name: 'w', host: 'h', labels: [], slots: 1, version: 't' };
    expect(
      (await call(server.url, 'POST', '/api/workers/heartbeat', { worker: identity, runs: [] }, asWorker))
        .status,
    ).toBe(200);
    expect((await call(server.url, 'GET', '/api/executions', undefined, asWorker)).status).toBe(401);
    expect((await call(server.url, 'POST', '/api/executions', { command: 'id' }, asWorker)).status).toBe(401);
    expect((await call(server.url, 'GET', '/api/workers', undefined, asWorker)).status).toBe(401);

    const { child, result } = startCli(['worker', '--server', server.url, '--name', 'intruder'], {
      dataDir: tempDir(),
      env: { STEPFLOW_SPOOL_DIR: tempDir(), STEPFLOW_WORKER_TOKEN: 'wrong' },
    });
    workers.push(child);
    const { code, stderr } = await result;
    expect(code).toBe(1);
    expect(stderr).toMatch(/refused this worker: 401: missing or invalid bearer token/);
  }, 30_000);
});
