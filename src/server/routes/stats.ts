import { StatsQuerySchema, StatsSchema } from '../../protocol/api-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Up to this many days the buckets are hours (48 bars read well); beyond, days. */
const HOURLY_UP_TO_DAYS = 2;

/**
 * `GET /api/stats?days=N`: the dashboard's counts and charts. Buckets are aligned on UTC hours or
 * UTC days; the last one is the bucket holding "now", so the range is slightly longer than N days.
 */
export async function statsRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const { executions } = context.app;
  app.get(
    '/api/stats',
    {
      config: { permission: 'server:read' },
      schema: {
        tags: ['executions'],
        summary: 'Executions created in the last N days: by status, and per hour (N <= 2) or UTC day',
        querystring: StatsQuerySchema,
        response: { 200: StatsSchema, ...errorResponses(400) },
      },
    },
    async (request) => {
      const days = request.query.days ?? 14;
      const bucketMs = days <= HOURLY_UP_TO_DAYS ? HOUR_MS : DAY_MS;
      const count = (days * DAY_MS) / bucketMs;
      // Counts right after an execution ends should include it: commit what the writer holds.
      await executions.settle();
      const now = Date.now();
      const lastStart = Math.floor(now / bucketMs) * bucketMs;
      const stats = await executions.reads.executionStats({
        fromMs: lastStart - (count - 1) * bucketMs,
        toMs: now,
        bucketMs,
      });
      return { ...stats, bucketMs };
    },
  );
}
