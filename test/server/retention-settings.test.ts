import { describe, expect, it } from 'vitest';
import { executionOf } from '../../src/core/model.js';
import type { RetentionReportBody, RetentionStatusBody } from '../../src/protocol/retention-schemas.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';
import { call, getExecution, startExecution, waitForStatus } from './execution-api-client.js';

const DAY = 86_400_000;
const start = useTestServers();

/** A run that really ran, then made to have ended `daysAgo` days ago (written through the store). */
async function runEndedDaysAgo(server: TestServer, daysAgo: number): Promise<string> {
  const { id } = await startExecution(server.url, { command: 'echo kept or not' });
  await waitForStatus(server.url, id, ['succeeded'], 30_000);
  const detail = await server.stepflow.store.getExecution(id);
  if (detail === undefined) throw new Error(`${id} not stored`);
  await server.stepflow.store.write({
    executions: [{ ...executionOf(detail), endedAt: new Date(Date.now() - daysAgo * DAY).toISOString() }],
  });
  return id;
}

describe('retention defaults in the settings (docs/RETENTION.md)', () => {
  it('a sweep applies the settings’ defaults, a limit from the environment wins over the same one, and bad limits are 400s naming them', async () => {
    // The environment sets logDays only; the settings set days and logDays.
    const server = await start({ config: { retention: { logDays: 2 } } });
    const old = await runEndedDaysAgo(server, 10);
    const middle = await runEndedDaysAgo(server, 3);

    const put = await call(server.url, 'PUT', '/api/settings', { retention: { days: 5, logDays: 100 } });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({
      retention: { days: 5, logDays: 100 },
      retentionFromEnvironment: { logDays: 2 },
    });
    const status = await call<RetentionStatusBody>(server.url, 'GET', '/api/health/retention');
    expect(status.body.policy).toEqual({ days: 5, logDays: 2 });

    const sweep = await call<RetentionReportBody>(server.url, 'POST', '/api/health/retention/sweep');
    expect(sweep.status).toBe(200);
    expect(sweep.body).toMatchObject({ runsDeleted: 1, logsDropped: 1 });
    // 10 days old: past the settings' 5 days. 3 days old: its log past the environment's 2 days
    // (the settings' 100 would have kept it).
    expect((await call(server.url, 'GET', `/api/executions/${old}`)).status).toBe(404);
    expect((await getExecution(server.url, middle)).logExpiredAt).toBeDefined();

    for (const [retention, field] of [
      [{ days: 0 }, 'retention.days'],
      [{ keep_last: 3 }, 'retention.keep_last'],
      [{ keepLast: 1.5 }, 'retention.keepLast'],
    ] as const) {
      const bad = await call<{ error: { code: string; message: string; field?: string } }>(
        server.url,
        'PUT',
        '/api/settings',
        { retention },
      );
      expect(bad.status, JSON.stringify(retention)).toBe(400);
      expect(`${bad.body.error.field ?? ''} ${bad.body.error.message}`).toContain(field.split('.')[1]);
    }
    // The refused changes left the stored defaults as they were.
    expect((await call(server.url, 'GET', '/api/settings')).body).toMatchObject({
      retention: { days: 5, logDays: 100 },
    });
  });
});
