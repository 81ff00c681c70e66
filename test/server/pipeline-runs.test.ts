import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineRunJson } from '../../src/protocol/pipeline-json.js';
import type { LiveServerMessage, PipelineMessage } from '../../src/protocol/live-messages.js';
import { isAlive } from '../helpers/processes.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { call, getExecution, waitFor } from './execution-api-client.js';
import { LiveTestClient } from './live-test-kit.js';

/**
 * Pipeline runs with real processes, through the API (docs/PIPELINES-RUNNING.md): one server for
 * the file, a temp dir per test that the nodes' scripts write to (`$DIR`).
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.close());

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-pipeline-test-'));
  dirs.push(dir);
  return dir;
}

const FINAL = ['succeeded', 'failed', 'cancelled'];

/** Starts a run of `pipeline` (written as JSON, which is YAML), `$DIR` in every node's env. */
async function startRun(pipeline: Record<string, unknown>, dir: string): Promise<PipelineRunJson> {
  const yaml = JSON.stringify({ ...pipeline, env: { DIR: dir } });
  const response = await call<PipelineRunJson>(server.url, 'POST', '/api/pipelines/runs', { yaml });
  expect(response.status, response.text).toBe(201);
  return response.body;
}

async function getRun(id: string): Promise<PipelineRunJson> {
  const response = await call<PipelineRunJson>(server.url, 'GET', `/api/pipelines/runs/${id}`);
  expect(response.status, response.text).toBe(200);
  return response.body;
}

function waitForEnd(id: string, timeoutMs = 20_000): Promise<PipelineRunJson> {
  return waitFor(
    async () => {
      const run = await getRun(id);
      return FINAL.includes(run.status) ? run : undefined;
    },
    `pipeline run ${id} to end`,
    timeoutMs,
  );
}

const statuses = (run: PipelineRunJson) =>
  Object.fromEntries(run.nodes.map((node) => [node.name, node.status]));
const nanos = (dir: string, file: string) => BigInt(fs.readFileSync(path.join(dir, file), 'utf8').trim());
/** Writes the time (ns) to $DIR/<name>. */
const stamp = (name: string) => `date +%s%N > "$DIR/${name}"`;

describe('pipeline runs', () => {
  it('runs independent branches at once, waits for both at the join, and passes outputs on', async () => {
    const dir = tempDir();
    const run = await startRun(
      {
        name: 'diamond',
        nodes: {
          fetch: { run: 'echo OUTPUT:version=1.2.3' },
          a: { run: `${stamp('a.start')}; sleep 0.8; ${stamp('a.end')}`, needs: ['fetch'] },
          b: {
            run: `${stamp('b.start')}; echo size=42 >> "$STEPFLOW_OUTPUT"; sleep 0.8; ${stamp('b.end')}`,
            needs: ['fetch'],
          },
          join: {
            run: `${stamp('join.start')}; echo "$STEPFLOW_NEEDS_FETCH_VERSION $STEPFLOW_NEEDS_B_SIZE" > "$DIR/seen"`,
            needs: ['a', 'b', 'fetch'],
          },
        },
      },
      dir,
    );
    const ended = await waitForEnd(run.id);
    expect(ended.status).toBe('succeeded');
    expect(statuses(ended)).toEqual({
      fetch: 'succeeded',
      a: 'succeeded',
      b: 'succeeded',
      join: 'succeeded',
    });
    expect(ended.progress).toEqual({ done: 4, total: 4 });
    // Overlap: each branch started before the other ended.
    expect(nanos(dir, 'a.start')).toBeLessThan(nanos(dir, 'b.end'));
    expect(nanos(dir, 'b.start')).toBeLessThan(nanos(dir, 'a.end'));
    // The join started after both ended.
    expect(nanos(dir, 'join.start')).toBeGreaterThan(nanos(dir, 'a.end'));
    expect(nanos(dir, 'join.start')).toBeGreaterThan(nanos(dir, 'b.end'));
    expect(fs.readFileSync(path.join(dir, 'seen'), 'utf8')).toBe('1.2.3 42\n');
    expect(ended.nodes.find((node) => node.name === 'fetch')?.outputs).toEqual({ version: '1.2.3' });
    // Each node is an ordinary execution that says which node of which run it is.
    const join = ended.nodes.find((node) => node.name === 'join')!;
    const execution = await getExecution(server.url, join.executionId!);
    expect(execution.tags).toMatchObject({
      'stepflow.pipeline-run': run.id,
      'stepflow.pipeline-node': 'join',
    });
    expect(execution.name).toBe('diamond/join');
  });

  it('skips the dependants of a failed or timed-out node and still runs an if: always node', async () => {
    const dir = tempDir();
    const run = await startRun(
      {
        name: 'failing',
        nodes: {
          bad: { run: 'exit 3' },
          after: { run: 'touch "$DIR/after"', needs: ['bad'] },
          cleanup: { run: 'touch "$DIR/cleanup"', needs: ['after'], if: 'always' },
          hang: { run: 'sleep 30', timeout: 0.5 },
          never: { run: 'touch "$DIR/never"', needs: ['hang'] },
        },
      },
      dir,
    );
    const ended = await waitForEnd(run.id);
    expect(ended.status).toBe('failed');
    expect(statuses(ended)).toEqual({
      bad: 'failed',
      after: 'skipped',
      cleanup: 'succeeded',
      hang: 'failed',
      never: 'skipped',
    });
    expect(ended.nodes.find((node) => node.name === 'hang')?.attempts[0]?.status).toBe('timed_out');
    expect(fs.existsSync(path.join(dir, 'never'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'after'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'cleanup'))).toBe(true);
  });

  it('retries a failed node', async () => {
    const dir = tempDir();
    const run = await startRun(
      {
        name: 'flaky',
        nodes: {
          flaky: {
            run: 'if [ -e "$DIR/tried" ]; then exit 0; fi; touch "$DIR/tried"; exit 1',
            retry: { max: 2, delay: 0.1 },
          },
        },
      },
      dir,
    );
    const ended = await waitForEnd(run.id);
    expect(ended.status).toBe('succeeded');
    const node = ended.nodes[0]!;
    expect(node.attempt).toBe(2);
    expect(node.attempts.map((attempt) => attempt.status)).toEqual(['failed', 'succeeded']);
  });

  it("cancel stops every running node's process tree and cancels what had not started", async () => {
    const dir = tempDir();
    // Each branch leaves a grandchild sleeping, and says its pid.
    const branch = (name: string) => ({ run: `sleep 60 & echo $! > "$DIR/${name}.pid"; wait` });
    const run = await startRun(
      {
        name: 'cancelled',
        nodes: { a: branch('a'), b: branch('b'), after: { run: 'true', needs: ['a', 'b'] } },
      },
      dir,
    );
    const pids = await waitFor(
      async () =>
        ['a', 'b'].every((name) => fs.existsSync(path.join(dir, `${name}.pid`))) &&
        ['a', 'b'].map((name) => Number(fs.readFileSync(path.join(dir, `${name}.pid`), 'utf8'))),
      'both branches to run',
    );
    expect(pids.every((pid) => pid > 0 && isAlive(pid))).toBe(true);
    const cancel = await call<PipelineRunJson>(server.url, 'POST', `/api/pipelines/runs/${run.id}/cancel`);
    expect(cancel.status).toBe(202);
    const ended = await waitForEnd(run.id);
    expect(ended.status).toBe('cancelled');
    expect(statuses(ended)).toEqual({ a: 'cancelled', b: 'cancelled', after: 'cancelled' });
    await waitFor(async () => pids.every((pid) => !isAlive(pid)), 'no process left', 10_000);
    const again = await call(server.url, 'POST', `/api/pipelines/runs/${run.id}/cancel`);
    expect(again.status).toBe(409);
  });

  it('re-runs only the failed nodes and what follows, keeping the outputs of those that succeeded', async () => {
    const dir = tempDir();
    const run = await startRun(
      {
        name: 'rerun-failed',
        nodes: {
          make: { run: 'echo x >> "$DIR/make.count"; echo "OUTPUT:token=$(date +%s%N)"' },
          check: {
            run: 'test -e "$DIR/ok" && echo "$STEPFLOW_NEEDS_MAKE_TOKEN" > "$DIR/seen"',
            needs: ['make'],
          },
          report: { run: 'echo x >> "$DIR/report.count"', needs: ['check'] },
        },
      },
      dir,
    );
    const first = await waitForEnd(run.id);
    expect(statuses(first)).toEqual({ make: 'succeeded', check: 'failed', report: 'skipped' });
    const token = first.nodes[0]!.outputs.token!;
    fs.writeFileSync(path.join(dir, 'ok'), '');
    const rerun = await call<PipelineRunJson>(server.url, 'POST', `/api/pipelines/runs/${run.id}/rerun`, {
      only: 'failed',
    });
    expect(rerun.status, rerun.text).toBe(201);
    expect(rerun.body.rerunOf).toBe(run.id);
    const second = await waitForEnd(rerun.body.id);
    expect(second.status).toBe('succeeded');
    expect(statuses(second)).toEqual({ make: 'succeeded', check: 'succeeded', report: 'succeeded' });
    // make ran once in all; check saw the first run's output.
    expect(fs.readFileSync(path.join(dir, 'make.count'), 'utf8')).toBe('x\n');
    expect(fs.readFileSync(path.join(dir, 'seen'), 'utf8')).toBe(`${token}\n`);
    expect(second.nodes[0]!.executionId).toBe(first.nodes[0]!.executionId);
    const list = await call<{ items: PipelineRunJson[] }>(
      server.url,
      'GET',
      '/api/pipelines/runs?name=rerun-failed',
    );
    expect(list.body.items.map((item) => item.id)).toEqual([rerun.body.id, run.id]);
  });

  it('sends node events, steps, progress and a warning on the pipeline:<runId> topic', async () => {
    const dir = tempDir();
    const run = await startRun(
      {
        name: 'watched',
        warnings: { warnAfter: 0.3, criticalAfter: 600 },
        nodes: {
          gate: { run: 'while [ ! -e "$DIR/go" ]; do sleep 0.05; done' },
          slow: { run: 'echo STEP_START:work; sleep 1.5; echo STEP_COMPLETE:work', needs: ['gate'] },
        },
      },
      dir,
    );
    const client = await LiveTestClient.connect(`ws://127.0.0.1:${server.port}/ws`);
    try {
      expect(await client.subscribe(`pipeline:${run.id}`)).toMatchObject({ type: 'subscribed' });
      const snapshot = await client.find((m) => m.type === 'pipeline-run');
      expect(snapshot).toMatchObject({ type: 'pipeline-run', run: { id: run.id, name: 'watched' } });
      fs.writeFileSync(path.join(dir, 'go'), '');
      const isChange = (m: LiveServerMessage): m is PipelineMessage => m.type === 'pipeline';
      await client.find((m) => isChange(m) && m.change.kind === 'run' && m.change.status === 'succeeded');
      const changes = client.messages.filter(isChange).map((m) => m.change);
      const events = changes.flatMap((change) =>
        change.kind === 'node'
          ? [`${change.node} ${change.event}`]
          : change.kind === 'step'
            ? [`${change.node} step ${change.step.name} ${change.event}`]
            : change.kind === 'warning'
              ? [`${change.node} ${change.level}`]
              : [],
      );
      // The gate waits for this test to subscribe: on a busy machine it may pass 0.3 s too.
      expect(events.filter((event) => event !== 'gate warning')).toEqual([
        'gate succeeded',
        'slow queued',
        'slow started',
        'slow step work started',
        'slow warning',
        'slow step work finished',
        'slow succeeded',
      ]);
      const progress = changes.filter((change) => change.kind === 'run').map((change) => change.done);
      expect(progress).toEqual([1, 2]);
    } finally {
      client.close();
    }
  });

  it('warns on the topic when a node runs past the default 5 s, and not before', async () => {
    const dir = tempDir();
    // No `warnings:` in the file: the defaults (5 s warning, 30 s critical) apply.
    const run = await startRun(
      {
        name: 'defaults',
        nodes: {
          gate: { run: 'while [ ! -e "$DIR/go" ]; do sleep 0.05; done' },
          long: { run: 'sleep 5.8', needs: ['gate'] },
        },
      },
      dir,
    );
    const client = await LiveTestClient.connect(`ws://127.0.0.1:${server.port}/ws`);
    try {
      expect(await client.subscribe(`pipeline:${run.id}`)).toMatchObject({ type: 'subscribed' });
      fs.writeFileSync(path.join(dir, 'go'), '');
      const isChange = (m: LiveServerMessage): m is PipelineMessage => m.type === 'pipeline';
      const started = await client.find(
        (m) =>
          isChange(m) && m.change.kind === 'node' && m.change.node === 'long' && m.change.event === 'started',
        10_000,
      );
      const startedAt = Date.now();
      expect(started).toBeDefined();
      const warning = await client.find((m) => isChange(m) && m.change.kind === 'warning', 15_000);
      const seenAfterMs = Date.now() - startedAt;
      expect(warning).toMatchObject({
        change: { kind: 'warning', node: 'long', level: 'warning', thresholdMs: 5000 },
      });
      // Not before its threshold (the node started a little before we saw it: some slack).
      expect(
        (warning as PipelineMessage & { change: { elapsedMs: number } }).change.elapsedMs,
      ).toBeGreaterThanOrEqual(5000);
      expect(seenAfterMs).toBeGreaterThan(4500);
      await client.find(
        (m) => isChange(m) && m.change.kind === 'run' && m.change.status === 'succeeded',
        15_000,
      );
      // One warning: the 30 s critical one never came.
      const levels = client.messages
        .filter(isChange)
        .flatMap((m) => (m.change.kind === 'warning' ? [m.change.level] : []));
      expect(levels).toEqual(['warning']);
    } finally {
      client.close();
    }
  });

  it('refuses a bad file with a 400 and an unknown run with a 404', async () => {
    const bad = await call<{ error: { code: string } }>(server.url, 'POST', '/api/pipelines/runs', {
      yaml: 'name: x\nnodes: [1, 2',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation_failed');
    const missing = await call(server.url, 'GET', '/api/pipelines/runs/01jzzzzzzzzzzzzzzzzzzzzzzz');
    expect(missing.status).toBe(404);
  });
});
