import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createExecutionIdFactory } from '../../src/core/execution-ids.js';
import { newRunNodes, type PipelineRun } from '../../src/core/pipelines/pipeline-run.js';
import type { WebhookPayload } from '../../src/notify/webhook-payload.js';
import type { PipelineRunJson } from '../../src/protocol/pipeline-json.js';
import type { PipelineRunPageBody } from '../../src/protocol/pipeline-schemas.js';
import { openSqliteStores } from '../../src/store/sqlite/open-sqlite-stores.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, createJob, deliveriesOf, historyOf, uniqueName, waitFor } from './jobs-client.js';
import { useWebhookReceivers } from './webhook-receiver.js';

/**
 * Jobs that run a saved pipeline (docs/JOBS.md, "Pipeline jobs"): a real server, real node
 * processes, a temp dir per test the nodes write to (the job's cwd).
 */
const startServer = useTestServers();
const tempDir = useTempDirs();
const startReceiver = useWebhookReceivers();

const FINAL = ['succeeded', 'failed', 'cancelled'];

/** Saves a pipeline (JSON is YAML) under a unique name; returns the name. */
async function savePipeline(url: string, pipeline: Record<string, unknown>): Promise<string> {
  const name = uniqueName('pipe');
  const response = await call(url, 'PUT', `/api/pipelines/${name}`, {
    yaml: JSON.stringify({ name, ...pipeline }),
  });
  expect(response.status, response.text).toBeLessThan(300);
  return name;
}

async function runsOfJob(url: string, jobId: string): Promise<PipelineRunJson[]> {
  const response = await call<PipelineRunPageBody>(url, 'GET', `/api/pipelines/runs?job=${jobId}`);
  expect(response.status, response.text).toBe(200);
  return response.body.items as PipelineRunJson[];
}

const endedRuns = async (url: string, jobId: string, count: number): Promise<PipelineRunJson[]> =>
  waitFor(
    async () => {
      const runs = await runsOfJob(url, jobId);
      return runs.length >= count && runs.every((run) => FINAL.includes(run.status)) && runs;
    },
    `${count} ended pipeline runs of job ${jobId}`,
    30_000,
  );

const statuses = (run: PipelineRunJson) => Object.fromEntries(run.nodes.map((n) => [n.name, n.status]));

describe('pipeline jobs', () => {
  it("fires on its trigger: the saved pipeline's nodes run with outputs flowing, the job's env and cwd apply", async () => {
    const { url } = await startServer();
    const dir = tempDir();
    const pipeline = await savePipeline(url, {
      env: { WHO: 'pipeline', KEEP: 'kept' },
      nodes: {
        produce: { run: 'echo "OUTPUT:tag=v7"' },
        consume: {
          run: 'echo "$STEPFLOW_NEEDS_PRODUCE_TAG $WHO $KEEP $MINE" > out.txt',
          needs: 'produce',
          env: { MINE: 'node' },
        },
      },
    });
    const job = await createJob(url, {
      name: uniqueName('nightly-pipeline'),
      pipeline,
      cwd: dir,
      env: { WHO: 'job', MINE: 'job' },
      triggers: [{ at: new Date(Date.now() + 1500).toISOString() }],
    });
    expect(job).toMatchObject({ pipeline, command: null, argv: null });

    const [run] = await endedRuns(url, job.id, 1);
    expect(run!.status).toBe('succeeded');
    expect(statuses(run!)).toEqual({ produce: 'succeeded', consume: 'succeeded' });
    expect(run!.createdBy).toBe(`job:${job.name}`);
    // The job's env is added to the pipeline's (its values win, a node's own wins over both);
    // relative paths are in its cwd.
    expect(fs.readFileSync(path.join(dir, 'out.txt'), 'utf8')).toBe('v7 job kept node\n');
    const [fire] = await historyOf(url, job.id);
    expect(fire).toMatchObject({ outcome: 'started', pipelineRunId: run!.id, executionId: null });
    expect(run!.job).toEqual({ jobId: job.id, attempt: 1, retryOfId: null, scheduledAt: fire!.fireTime });
    // Runs started by hand are not the job's.
    await call(url, 'POST', '/api/pipelines/runs', { name: pipeline });
    expect((await runsOfJob(url, job.id)).map((r) => r.id)).toEqual([run!.id]);
  });

  it('overlap skip: a fire while the previous pipeline run goes on is recorded skipped', async () => {
    const { url } = await startServer();
    const pipeline = await savePipeline(url, { nodes: { slow: { run: 'sleep 4' } } });
    const job = await createJob(url, {
      name: uniqueName('every-second-pipeline'),
      pipeline,
      triggers: [{ intervalSeconds: 1 }],
      overlap: 'skip',
    });
    const skipped = await waitFor(
      async () => (await historyOf(url, job.id)).find((fire) => fire.outcome === 'skipped'),
      'a skipped fire',
      15_000,
    );
    expect(skipped.reason).toContain('overlap: skip');
    await call(url, 'POST', `/api/jobs/${job.id}/pause`);
    const runs = await runsOfJob(url, job.id);
    // The first run still went on (sleeping 4 s) when the next second's fire was skipped.
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('running');
  });

  it('overlap cancel-previous: a fire cancels the pipeline run still going and starts its own', async () => {
    const { url } = await startServer();
    const pipeline = await savePipeline(url, { nodes: { slow: { run: 'sleep 30' } } });
    const job = await createJob(url, {
      name: uniqueName('newest-wins-pipeline'),
      pipeline,
      triggers: [{ intervalSeconds: 2 }],
      overlap: 'cancel-previous',
    });
    const runs = await waitFor(
      async () => {
        const all = await runsOfJob(url, job.id);
        return all.length >= 2 && all.at(-1)!.status === 'cancelled' && all;
      },
      'the first run cancelled by the second fire',
      20_000,
    );
    await call(url, 'POST', `/api/jobs/${job.id}/pause`);
    expect(runs.at(-1)!.nodes[0]!.status).toBe('cancelled');
    expect(['queued', 'running']).toContain(runs.at(-2)!.status);
  });

  it('retries a failed run by re-running only the failed node; the webhook gets the pipeline run', async () => {
    const receiver = await startReceiver();
    const { url } = await startServer();
    const dir = tempDir();
    const pipeline = await savePipeline(url, {
      nodes: {
        build: { run: 'echo "OUTPUT:version=1.2"; echo built >> builds.txt' },
        // Fails the first time (no marker yet in the job's cwd), then succeeds.
        deploy: {
          run: 'test -f marker || { touch marker; exit 3; }; echo "$STEPFLOW_NEEDS_BUILD_VERSION" > deployed.txt',
          needs: 'build',
        },
      },
    });
    const job = await createJob(url, {
      name: uniqueName('retrying-pipeline'),
      pipeline,
      cwd: dir,
      triggers: [],
      retry: { maxAttempts: 2, delaySeconds: 0.2 },
      webhooks: [{ url: receiver.url, events: ['success', 'failure'] }],
    });
    const started = await call<PipelineRunJson>(url, 'POST', `/api/jobs/${job.id}/run`);
    expect(started.status, started.text).toBe(201);
    expect(started.headers.get('location')).toBe(`/api/pipelines/runs/${started.body.id}`);

    const [retry, first] = await endedRuns(url, job.id, 2);
    expect(first!.id).toBe(started.body.id);
    expect(statuses(first!)).toEqual({ build: 'succeeded', deploy: 'failed' });
    expect(retry!).toMatchObject({
      status: 'succeeded',
      rerunOf: first!.id,
      job: { jobId: job.id, attempt: 2, retryOfId: first!.id, scheduledAt: null },
    });
    // The succeeded node kept its execution and output; only the failed one ran again.
    const node = (run: PipelineRunJson, name: string) => run.nodes.find((n) => n.name === name)!;
    expect(node(retry!, 'build').attempts).toEqual(node(first!, 'build').attempts);
    expect(node(retry!, 'deploy').executionId).not.toBe(node(first!, 'deploy').executionId);
    expect(fs.readFileSync(path.join(dir, 'builds.txt'), 'utf8')).toBe('built\n');
    expect(fs.readFileSync(path.join(dir, 'deployed.txt'), 'utf8')).toBe('1.2\n');

    // One run of the job (two attempts): one webhook, for its end.
    await waitFor(async () => receiver.calls.length >= 1, 'the webhook call', 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.calls).toHaveLength(1);
    const payload = JSON.parse(receiver.calls[0]!.body) as WebhookPayload;
    const deliveries = await waitFor(
      async () => {
        const items = await deliveriesOf(url, job.id);
        return items.length > 0 && items;
      },
      'the delivery record',
      10_000,
    );
    expect(deliveries[0]).toMatchObject({ ok: true, pipelineRunId: retry!.id, executionId: null });
    expect(payload).toMatchObject({
      event: 'success',
      job: { id: job.id, name: job.name },
      execution: null,
      pipelineRun: {
        id: retry!.id,
        name: pipeline,
        status: 'succeeded',
        attempt: 2,
        retryOfId: first!.id,
        url: `/api/pipelines/runs/${retry!.id}`,
        nodes: [
          { name: 'build', status: 'succeeded', reason: null },
          { name: 'deploy', status: 'succeeded', reason: null },
        ],
      },
    });
  });

  it("a retry waiting for its delay survives a restart: it re-runs the failed run's failed node", async () => {
    const dataDir = tempDir();
    const dir = tempDir();
    const before = await startServer({ dataDir });
    const pipeline = await savePipeline(before.url, {
      nodes: {
        first: { run: 'echo once >> first.txt' },
        flaky: { run: 'test -f marker || { touch marker; exit 3; }', needs: 'first' },
      },
    });
    const job = await createJob(before.url, {
      name: uniqueName('restarted-pipeline'),
      pipeline,
      cwd: dir,
      triggers: [],
      retry: { maxAttempts: 2, delaySeconds: 2 },
    });
    const failed = (await call<PipelineRunJson>(before.url, 'POST', `/api/jobs/${job.id}/run`)).body;
    const [pending] = await waitFor(
      async () => {
        const all = await before.stepflow.jobs.listPendingRetries();
        return all.length > 0 && all;
      },
      'the pending retry to be saved',
      15_000,
    );
    expect(pending).toMatchObject({ jobId: job.id, failedExecutionId: failed.id, attempt: 2 });
    await before.close();

    const after = await startServer({ dataDir });
    const [retry] = await endedRuns(after.url, job.id, 2);
    expect(retry).toMatchObject({ status: 'succeeded', rerunOf: failed.id, job: { attempt: 2 } });
    expect(fs.readFileSync(path.join(dir, 'first.txt'), 'utf8')).toBe('once\n');
    expect(await after.stepflow.jobs.listPendingRetries()).toEqual([]);
  });

  it('ends a run whose driving server died instead of skipping every fire behind it (overlap skip)', async () => {
    const dataDir = tempDir();
    const { url } = await startServer({ dataDir });
    const pipeline = await savePipeline(url, { nodes: { a: { run: 'true' } } });
    const job = await createJob(url, {
      name: uniqueName('after-a-crash'),
      pipeline,
      triggers: [{ intervalSeconds: 1 }],
      overlap: 'skip',
      enabled: false,
    });
    // What a server killed mid-run leaves: the job's run, "running", driven by a process now gone.
    const definition = {
      name: pipeline,
      env: {},
      nodes: [
        {
          name: 'a',
          command: 'true',
          env: {},
          needs: [],
          if: 'success' as const,
          retry: { max: 0, delaySeconds: 0 },
          runsOn: [],
          continueOnError: false,
        },
      ],
    };
    const orphan: PipelineRun = {
      id: createExecutionIdFactory()(Date.now() - 60_000),
      name: pipeline,
      definition,
      status: 'running',
      createdAt: new Date(Date.now() - 60_000).toISOString(),
      startedAt: new Date(Date.now() - 60_000).toISOString(),
      endedAt: null,
      rerunOf: null,
      cancelRequested: false,
      nodes: newRunNodes(definition),
      job: { jobId: job.id, attempt: 1, retryOfId: null, scheduledAt: null },
      // No process has this pid on this host (beyond any pid_max).
      driver: { host: os.hostname(), pid: 2 ** 31 - 2, startTime: 1 },
    };
    const other = await openSqliteStores({ dataDir });
    await other.pipelineRuns.insertPipelineRun(orphan);
    await other.store.close();

    await call(url, 'POST', `/api/jobs/${job.id}/resume`);
    const started = await waitFor(
      async () => (await historyOf(url, job.id)).find((fire) => fire.outcome !== 'queued'),
      'the first fire',
      10_000,
    );
    await call(url, 'POST', `/api/jobs/${job.id}/pause`);
    expect(started).toMatchObject({ outcome: 'started' });
    const ended = (await call<PipelineRunJson>(url, 'GET', `/api/pipelines/runs/${orphan.id}`)).body;
    expect(ended.status).toBe('cancelled');
    expect(ended.nodes[0]!.reason).toBe('the StepFlow process that drove it stopped');
  });

  it('a timeout cancels the whole pipeline run, which counts as timed out (a failure)', async () => {
    const receiver = await startReceiver();
    const { url } = await startServer();
    const pipeline = await savePipeline(url, { nodes: { slow: { run: 'sleep 30' } } });
    const job = await createJob(url, {
      name: uniqueName('slow-pipeline'),
      pipeline,
      triggers: [],
      timeout: 1,
      webhooks: [{ url: receiver.url, events: ['failure'] }],
    });
    await call(url, 'POST', `/api/jobs/${job.id}/run`);
    await waitFor(async () => receiver.calls.length >= 1, 'the failure webhook', 15_000);
    const payload = JSON.parse(receiver.calls[0]!.body) as WebhookPayload;
    expect(payload.pipelineRun).toMatchObject({ status: 'timed_out', nodes: [{ status: 'cancelled' }] });
    const [run] = await runsOfJob(url, job.id);
    expect(run!.status).toBe('cancelled');
  });

  it('refuses a pipeline that does not exist, fields that shape one process, and a change of kind', async () => {
    const { url } = await startServer();
    const pipeline = await savePipeline(url, { nodes: { a: { run: 'true' } } });
    const refused = async (body: Record<string, unknown>, field: string) => {
      const response = await call<{ error: { message: string; details?: { field?: string } } }>(
        url,
        'POST',
        '/api/jobs',
        { name: uniqueName('bad'), triggers: [], ...body },
      );
      expect(response.status, response.text).toBe(400);
      expect(response.text).toContain(`body.${field}`);
    };
    await refused({ pipeline: 'no-such-pipeline' }, 'pipeline');
    await refused({ pipeline, command: 'echo hi' }, 'command');
    await refused({ pipeline, runsOn: [] }, 'runsOn');
    await refused({ pipeline, tags: { a: 'b' } }, 'tags');
    await refused({ pipeline, retry: { maxAttempts: 2, onExitCodes: [1] } }, 'retry.onExitCodes');
    await refused({ pipeline, lateAfterSeconds: 5 }, 'lateAfterSeconds');
    await refused({ pipeline, retention: { days: 3 } }, 'retention');

    const job = await createJob(url, { name: uniqueName('kind'), pipeline, triggers: [] });
    const toCommand = await call(url, 'PATCH', `/api/jobs/${job.id}`, { command: 'echo hi' });
    expect(toCommand.status, toCommand.text).toBe(400);
    expect(toCommand.text).toContain('cannot change between a command and a pipeline');
    const toMissing = await call(url, 'PATCH', `/api/jobs/${job.id}`, { pipeline: 'gone-pipeline' });
    expect(toMissing.status, toMissing.text).toBe(400);
    const commandJob = await createJob(url, { name: uniqueName('cmd'), command: 'true', triggers: [] });
    const toPipeline = await call(url, 'PATCH', `/api/jobs/${commandJob.id}`, { pipeline });
    expect(toPipeline.status, toPipeline.text).toBe(400);
  });

  it('skips the fire, saying why, when its pipeline was deleted', async () => {
    const { url } = await startServer();
    const pipeline = await savePipeline(url, { nodes: { a: { run: 'true' } } });
    const job = await createJob(url, {
      name: uniqueName('orphan'),
      pipeline,
      triggers: [{ at: new Date(Date.now() + 1500).toISOString() }],
    });
    expect((await call(url, 'DELETE', `/api/pipelines/${pipeline}`)).status).toBe(204);
    const fire = await waitFor(
      async () => (await historyOf(url, job.id)).find((f) => f.outcome !== 'queued'),
      'the fire',
      10_000,
    );
    expect(fire).toMatchObject({ outcome: 'skipped', pipelineRunId: null });
    expect(fire.reason).toContain(pipeline);
    expect(fire.reason).toContain('not found');
    const now = await call(url, 'POST', `/api/jobs/${job.id}/run`);
    expect(now.status).toBe(409);
    expect(now.text).toContain('not found');
    expect(await runsOfJob(url, job.id)).toEqual([]);
  });
});
