import { describe, expect, it } from 'vitest';
import type { ErrorBodyJson } from '../../src/protocol/api-schemas.js';
import type { ExecutionTrendsBody } from '../../src/protocol/execution-trends.js';
import { useTestServers } from '../helpers/test-server.js';
import { createJob } from '../jobs/jobs-client.js';
import { call, getExecution, startExecution, waitForStatus } from './execution-api-client.js';

const startServer = useTestServers();

/** A run whose "build" step sleeps `seconds`; "test" fails when `failTest`. */
const script = (seconds: number, failTest = false) =>
  `echo STEP_START:build; sleep ${seconds}; echo STEP_COMPLETE:build; echo STEP_START:test; ${failTest ? 'exit 3' : 'true'}; echo STEP_COMPLETE:test`;

async function trends(url: string, id: string, query = '') {
  return call<ExecutionTrendsBody>(url, 'GET', `/api/executions/${id}/trends${query}`);
}

describe('GET /api/executions/:id/trends', () => {
  it("returns each step's durations over the newest runs of the same name, this one last, with the median", async () => {
    const { url } = await startServer();
    const ids: string[] = [];
    for (const [seconds, fail] of [
      [0.1, false],
      [0.6, true],
      [0.3, false],
    ] as const) {
      const run = await startExecution(url, { command: script(seconds, fail), name: 'nightly <b>' });
      await waitForStatus(url, run.id);
      ids.push(run.id);
    }
    const other = await startExecution(url, { command: script(0), name: 'other' });
    await waitForStatus(url, other.id);

    const response = await trends(url, ids[2]!);
    expect(response.status).toBe(200);
    const body = response.body;
    expect(body.basis).toBe('name');
    expect(body.runs.map((run) => [run.id, run.status])).toEqual([
      [ids[0], 'succeeded'],
      [ids[1], 'failed'],
      [ids[2], 'succeeded'],
    ]);
    expect(body.steps.map((step) => step.name)).toEqual(['build', 'test']);
    const [build, test] = body.steps;
    // Durations are read times (a loaded machine may read a sleep's lines together), so the
    // points are checked against each run's own record rather than against the sleeps.
    const recorded = await Promise.all(
      ids.map(async (id) => (await getExecution(url, id)).steps.find((s) => s.name === 'build')!.durationMs!),
    );
    expect(build!.points.map((point) => point!.durationMs)).toEqual(recorded);
    expect(build!.medianMs).toBe([...recorded].sort((a, b) => a - b)[1]);
    expect(test!.points.map((point) => point?.status)).toEqual(['succeeded', 'failed', 'succeeded']);

    const two = await trends(url, ids[2]!, '?limit=2');
    expect(two.body.runs.map((run) => run.id)).toEqual([ids[1], ids[2]]);
    // The oldest run sees only itself: nothing after it counts.
    expect((await trends(url, ids[0]!)).body.runs.map((run) => run.id)).toEqual([ids[0]]);
  });

  it("follows a job's runs whatever their name", async () => {
    const { url } = await startServer();
    const job = await createJob(url, { name: 'trend job', command: script(0), triggers: [] });
    const runs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const run = await call<{ id: string }>(url, 'POST', `/api/jobs/${job.id}/run`);
      await waitForStatus(url, run.body.id);
      runs.push(run.body.id);
    }
    const response = await trends(url, runs[1]!);
    expect(response.body.basis).toBe('job');
    expect(response.body.runs.map((run) => run.id)).toEqual(runs);
  });

  it('answers an unknown execution with a 404 and a bad limit with a 400, both naming the problem', async () => {
    const { url } = await startServer();
    const missing = await call<ErrorBodyJson>(url, 'GET', '/api/executions/nope/trends');
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain('nope');
    const run = await startExecution(url, { command: 'true' });
    for (const limit of ['1', '101', 'many']) {
      const bad = await call<ErrorBodyJson>(url, 'GET', `/api/executions/${run.id}/trends?limit=${limit}`);
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain('limit');
    }
  });
});

describe('progress and late thresholds on an execution', () => {
  it("stores the run's own ESTIMATED_DURATION (printed outside steps) and an ad-hoc lateAfterSeconds", async () => {
    const { url } = await startServer();
    const run = await startExecution(url, {
      command: 'echo warming up; echo META:ESTIMATED_DURATION:42; echo STEP_START:a; echo STEP_COMPLETE:a',
      lateAfterSeconds: 90,
    });
    expect(run.lateAfterSeconds).toBe(90);
    const done = await waitForStatus(url, run.id);
    expect(done).toMatchObject({
      estimatedDurationSeconds: 42,
      lateAfterSeconds: 90,
      meta: { ESTIMATED_DURATION: '42' },
    });
    const listed = await call<{ items: { id: string; lateAfterSeconds: number | null }[] }>(
      url,
      'GET',
      '/api/executions',
    );
    expect(listed.body.items.find((item) => item.id === run.id)?.lateAfterSeconds).toBe(90);
  });

  it("gives a job's run the job's lateAfterSeconds", async () => {
    const { url } = await startServer();
    const job = await createJob(url, {
      name: 'late job',
      command: 'true',
      triggers: [],
      lateAfterSeconds: 30,
    });
    const run = await call<{ id: string; lateAfterSeconds: number | null }>(
      url,
      'POST',
      `/api/jobs/${job.id}/run`,
    );
    expect(run.body.lateAfterSeconds).toBe(30);
    expect((await waitForStatus(url, run.body.id)).lateAfterSeconds).toBe(30);
  });

  it('takes a lateAfterSeconds of more than 0 up to 30 days and refuses anything else, naming it', async () => {
    const { url } = await startServer();
    for (const lateAfterSeconds of [0.5, 30 * 86_400]) {
      const ok = await call<{ lateAfterSeconds: number }>(url, 'POST', '/api/executions', {
        command: 'true',
        lateAfterSeconds,
      });
      expect(ok.status).toBe(201);
      expect(ok.body.lateAfterSeconds).toBe(lateAfterSeconds);
    }
    for (const lateAfterSeconds of [0, -5, 'soon', 31 * 86_400]) {
      const response = await call<ErrorBodyJson>(url, 'POST', '/api/executions', {
        command: 'true',
        lateAfterSeconds,
      });
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain('lateAfterSeconds');
    }
  });
});
