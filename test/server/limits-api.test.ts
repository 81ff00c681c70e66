import { describe, expect, it } from 'vitest';
import type { ErrorBodyJson, ExecutionBody } from '../../src/protocol/api-schemas.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, getExecution, waitForStatus } from './execution-api-client.js';

const startServer = useTestServers();

describe('run limits over the API', () => {
  it('takes limits on POST /api/executions and returns the limit that triggered with the run', async () => {
    const { url } = await startServer();
    const created = await call<ExecutionBody>(url, 'POST', '/api/executions', {
      command: 'seq 1 100',
      limits: { maxLines: 10, logLimitPolicy: 'truncate', memoryLimitMb: 512 },
    });
    expect(created.status).toBe(201);
    expect(created.body.limits).toEqual({ maxLines: 10, logLimitPolicy: 'truncate', memoryLimitMb: 512 });
    const done = await waitForStatus(url, created.body.id);
    expect(done.status).toBe('succeeded');
    const detail = await getExecution(url, created.body.id);
    expect(detail.limitHits).toEqual([
      expect.objectContaining({
        kind: 'lines',
        limit: 10,
        observed: 100,
        action: 'truncated',
        enforcement: 'counted',
        // 6…9 are two bytes with their newline, 10…95 three.
        dropped: { lines: 90, bytes: 4 * 2 + 86 * 3 },
      }),
    ]);
    const text = (await call<string>(url, 'GET', `/api/executions/${created.body.id}/logs?format=text`)).body;
    expect(text).toBe('1\n2\n3\n4\n5\n… 90 lines (266 B) dropped by maxLines …\n96\n97\n98\n99\n100\n');
  });

  it('refuses a run for workers that asks for log limits, a bad label or a relative cwd, naming the field', async () => {
    const { url } = await startServer();
    const refused = async (body: object, field: string, message: RegExp): Promise<void> => {
      const answer = await call<ErrorBodyJson>(url, 'POST', '/api/executions', { command: 'true', ...body });
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toContain(field);
      expect(answer.body.error.message).toMatch(message);
    };
    await refused(
      { runsOn: ['gpu'], cwd: '/tmp', limits: { maxLines: 10 } },
      'body.limits',
      /workers keep the whole log/,
    );
    await refused({ runsOn: ['gpu'], cwd: 'jobs/a' }, 'body.cwd', /must be an absolute path/);
    await refused({ runsOn: ['has space'], cwd: '/tmp' }, 'body.runsOn', /has space/);
    // Memory and CPU limits do apply on the worker.
    const kept = await call<ExecutionBody>(url, 'POST', '/api/executions', {
      command: 'true',
      runsOn: ['gpu'],
      cwd: '/tmp',
      limits: { memoryLimitMb: 512 },
    });
    expect(kept.status).toBe(201);
    expect(kept.body).toMatchObject({ status: 'queued', runsOn: ['gpu'], limits: { memoryLimitMb: 512 } });
  });

  it.each([
    [{ memoryLimitMb: 0 }, 'body.limits.memoryLimitMb'],
    [{ memoryLimitMb: 1.5 }, 'body.limits.memoryLimitMb'],
    [{ cpuLimitPercent: -5 }, 'body.limits.cpuLimitPercent'],
    [{ maxLogBytes: 10 }, 'body.limits.maxLogBytes'],
    [{ maxLines: 0 }, 'body.limits.maxLines'],
    [{ logLimitPolicy: 'drop' }, 'body.limits.logLimitPolicy'],
    [{ maxBytes: 100 }, 'maxBytes'],
  ])('refuses limits %j with a 400 naming %s, and runs nothing', async (limits, field) => {
    const { url } = await startServer();
    const response = await call<ErrorBodyJson>(url, 'POST', '/api/executions', { command: 'true', limits });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
    expect(response.body.error.message).toContain(field);
    const list = await call<{ items: unknown[] }>(url, 'GET', '/api/executions');
    expect(list.body.items).toEqual([]);
  });

  it('gives a run without limits of its own the server’s default log limits, and a run with its own keeps them', async () => {
    const { url } = await startServer({ config: { defaultLimits: { maxLines: 4 } } });
    const plain = await call<ExecutionBody>(url, 'POST', '/api/executions', { command: 'seq 1 10' });
    const own = await call<ExecutionBody>(url, 'POST', '/api/executions', {
      command: 'seq 1 10',
      limits: { maxLines: 100 },
    });
    expect(plain.body.limits).toEqual({ maxLines: 4 });
    expect(own.body.limits).toEqual({ maxLines: 100 });
    await waitForStatus(url, plain.body.id);
    await waitForStatus(url, own.body.id);
    const text = async (id: string) =>
      (await call<string>(url, 'GET', `/api/executions/${id}/logs?format=text`)).body;
    expect(await text(plain.body.id)).toBe('1\n2\n… 6 lines (12 B) dropped by maxLines …\n9\n10\n');
    expect(await text(own.body.id)).toBe('1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n');
  });
});
