import { describe, expect, it } from 'vitest';
import type { StatsBody } from '../../src/protocol/api-schemas.js';
import { EXECUTION_STATUSES } from '../../src/core/statuses.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, startExecution, waitForStatus } from './execution-api-client.js';

const startServer = useTestServers();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function run(url: string, command: string): Promise<void> {
  const { id } = await startExecution(url, { command });
  await waitForStatus(url, id);
}

describe('GET /api/stats', () => {
  it('covers the last 14 UTC days by default, every bucket present and every status counted', async () => {
    const { url } = await startServer();
    const before = Date.now();
    const response = await call<StatsBody>(url, 'GET', '/api/stats');
    expect(response.status).toBe(200);
    const { buckets, byStatus, bucketMs } = response.body;
    expect(bucketMs).toBe(DAY);
    expect(buckets).toHaveLength(14);
    expect(Object.keys(byStatus).sort()).toEqual([...EXECUTION_STATUSES].sort());
    expect(Object.values(byStatus).every((n) => n === 0)).toBe(true);
    const starts = buckets.map((b) => Date.parse(b.start));
    expect(starts.every((ms) => ms % DAY === 0)).toBe(true);
    expect(starts.slice(1).map((ms, i) => ms - (starts[i] ?? 0))).toEqual(new Array(13).fill(DAY));
    // The last bucket is today's (UTC).
    expect(starts.at(-1)).toBe(Math.floor(before / DAY) * DAY);
    expect(buckets[0]).toEqual({
      start: buckets[0]?.start,
      total: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
      medianDurationMs: null,
      p95DurationMs: null,
    });
  });

  it('counts real runs by status and in the current hour, with their durations', async () => {
    const { url } = await startServer();
    await run(url, 'echo ok');
    await run(url, 'sleep 0.2; echo ok');
    await run(url, 'echo broken >&2; exit 3');
    await run(url, 'echo "STEP_ERROR:bad input"');

    const { body } = await call<StatsBody>(url, 'GET', '/api/stats?days=1');
    expect(body.bucketMs).toBe(HOUR);
    expect(body.buckets).toHaveLength(24);
    expect(body.byStatus).toMatchObject({ succeeded: 2, failed: 2, queued: 0, running: 0 });
    // Runs that straddle an hour boundary land in one of the last two buckets.
    const recent = body.buckets.slice(-2);
    const sum = (key: 'total' | 'succeeded' | 'failed') => recent.reduce((n, b) => n + b[key], 0);
    expect([sum('total'), sum('succeeded'), sum('failed')]).toEqual([4, 2, 2]);
    const busiest = recent.reduce((a, b) => (b.total > a.total ? b : a));
    expect(busiest.medianDurationMs).toBeGreaterThanOrEqual(0);
    expect(busiest.p95DurationMs).toBeGreaterThanOrEqual(busiest.medianDurationMs ?? 0);
    expect(body.buckets.slice(0, -2).every((b) => b.total === 0 && b.medianDurationMs === null)).toBe(true);

    const daily = await call<StatsBody>(url, 'GET', '/api/stats?days=90');
    expect(daily.body.buckets).toHaveLength(90);
    expect(daily.body.byStatus.succeeded).toBe(2);
  });

  it('answers a bad days with a 400 naming it', async () => {
    const { url } = await startServer();
    for (const query of ['days=0', 'days=91', 'days=abc', 'days=1.5']) {
      const response = await call<{ error: { code: string; message: string } }>(
        url,
        'GET',
        `/api/stats?${query}`,
      );
      expect({ query, status: response.status, code: response.body.error.code }).toEqual({
        query,
        status: 400,
        code: 'validation_failed',
      });
      expect(response.body.error.message).toContain('days');
    }
    const unknown = await call<{ error: { message: string } }>(url, 'GET', '/api/stats?weeks=2');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('weeks');
  });
});
