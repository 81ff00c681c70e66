import { describe, expect, it } from 'vitest';
import type { ExecutionEstimatesBody } from '../../src/protocol/execution-estimates.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, startExecution, waitForStatus } from './execution-api-client.js';

const startServer = useTestServers();

const script = (extra = '') =>
  `echo STEP_START:数据预处理; sleep 0.5; echo STEP_COMPLETE:数据预处理; echo STEP_START:Train; ${extra} echo STEP_COMPLETE:Train`;

async function estimates(url: string, id: string) {
  return call<ExecutionEstimatesBody>(url, 'GET', `/api/executions/${id}/estimates`);
}

describe('GET /api/executions/:id/estimates', () => {
  it('has nothing to go on for the first run of a name', async () => {
    const { url } = await startServer();
    const first = await startExecution(url, { command: script(), name: 'train model' });
    await waitForStatus(url, first.id);
    const response = await estimates(url, first.id);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ basedOn: null, totalMs: null, steps: {} });
  });

  it('takes step and total durations from the newest earlier succeeded run of the same name', async () => {
    const { url } = await startServer();
    const good = await startExecution(url, { command: script(), name: 'train model' });
    const goodDone = await waitForStatus(url, good.id);
    // Newer but failed, and a different name: neither counts.
    const failed = await startExecution(url, { command: script('exit 3;'), name: 'train model' });
    await waitForStatus(url, failed.id);
    const other = await startExecution(url, { command: script(), name: 'other' });
    await waitForStatus(url, other.id);

    const current = await startExecution(url, { command: script(), name: 'train model' });
    const response = await estimates(url, current.id);
    expect(response.status).toBe(200);
    expect(response.body.basedOn).toBe(good.id);
    expect(response.body.totalMs).toBe(goodDone.durationMs);
    const preprocess = goodDone.steps.find((step) => step.name === '数据预处理');
    expect(response.body.steps).toEqual({
      数据预处理: preprocess?.durationMs,
      Train: goodDone.steps.find((step) => step.name === 'Train')?.durationMs,
    });
    // Durations are read times: a loaded machine may hand both marker lines over in one read (99 ms
    // for the 0.5 s step was seen at a load of 7), so only "a real duration" is certain.
    expect(response.body.steps['数据预处理']).toBeGreaterThan(0);
    await waitForStatus(url, current.id);
  });

  it('answers an unknown execution with a JSON 404 naming it', async () => {
    const { url } = await startServer();
    const response = await call<{ error: { code: string; message: string } }>(
      url,
      'GET',
      '/api/executions/nope/estimates',
    );
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
    expect(response.body.error.message).toContain('nope');
  });
});
