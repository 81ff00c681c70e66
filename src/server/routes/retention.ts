import { describeRetentionReport, type RetentionReport } from '../../app/retention.js';
import {
  RetentionReportSchema,
  RetentionStatusSchema,
  SweepQuerySchema,
  type RetentionReportBody,
} from '../../protocol/retention-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';

const tags = ['health'];

/** `GET /api/health/retention` and `POST /api/health/retention/sweep` (docs/RETENTION.md). */
export function registerRetentionRoutes(app: StepflowApp, context: ServerContext): void {
  const { retention } = context.app;

  app.get(
    '/api/health/retention',
    {
      config: { permission: 'server:read' },
      schema: {
        tags,
        summary: 'The retention policy and what the last sweep did',
        response: { 200: RetentionStatusSchema, ...errorResponses(500, 503) },
      },
    },
    async () => {
      const status = await retention.status();
      return { ...status, lastSweep: status.lastSweep === null ? null : withSummary(status.lastSweep) };
    },
  );

  app.post(
    '/api/health/retention/sweep',
    {
      config: { permission: 'settings:admin', audit: { action: 'retention.sweep' } },
      schema: {
        tags,
        summary: 'Sweep now (after a sweep already running); dryRun=true changes nothing',
        querystring: SweepQuerySchema,
        response: { 200: RetentionReportSchema, ...errorResponses(400, 500, 503) },
      },
    },
    async (request) => {
      const report = await retention.sweep({ dryRun: request.query.dryRun === true });
      request.log.info(report, describeRetentionReport(report));
      return withSummary(report);
    },
  );
}

function withSummary(report: RetentionReport): RetentionReportBody {
  return { ...report, summary: describeRetentionReport(report) };
}
