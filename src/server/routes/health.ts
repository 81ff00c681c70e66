import { Type } from '@sinclair/typebox';
import { isStepflowError } from '../../core/errors.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { ErrorBodySchema } from '../../protocol/api-schemas.js';
import {
  DatabaseDescriptionSchema,
  HealthDegradedSchema,
  HealthOkSchema,
  HealthUnavailableSchema,
  IntegrityReportSchema,
  MetricsSchema,
  OptimizeResultSchema,
} from '../../protocol/health-schemas.js';
import type { IngestMeter } from '../ingest-meter.js';
import { createRuntimeMeter } from '../runtime-meter.js';

const tags = ['health'];
const errors = { 500: ErrorBodySchema, 503: ErrorBodySchema };

/**
 * Liveness, metrics and database maintenance under /api/health. The database routes exist only
 * when the storage backend has maintenance (`Stepflow.maintenance`).
 */
export function registerHealthRoutes(app: StepflowApp, context: ServerContext, ingest: IngestMeter): void {
  const { executions, maintenance } = context.app;
  const store = executions.reads;
  const writes = () => context.app.writes();
  const runtime = createRuntimeMeter();
  app.addHook('onClose', async () => runtime.close());
  const uptimeSeconds = (): number => Math.floor((Date.now() - context.startedAt) / 1000);

  app.get(
    '/api/health',
    {
      // Liveness and readiness probes (Kubernetes, the image's HEALTHCHECK) carry no credentials:
      // this answers everyone, with the status alone; the figures below it need server:read.
      config: { permission: 'public' },
      schema: {
        tags,
        summary: 'Is the server up and its database usable? `degraded` (still 200): reads work, commits fail',
        response: { 200: Type.Union([HealthOkSchema, HealthDegradedSchema]), 503: HealthUnavailableSchema },
      },
    },
    async (request, reply) => {
      const base = { version: context.version, uptimeSeconds: uptimeSeconds() };
      try {
        // One indexed read: proves the database file is open, readable and has its schema.
        await store.listExecutions({ limit: 1 });
      } catch (error) {
        // Anything but a catalogued store error is a bug of ours: a 500 from the error handler.
        if (!isStepflowError(error)) throw error;
        request.log.warn({ err: error }, 'health check failed: the store is unusable');
        return reply
          .status(503)
          .send({ status: 'unavailable', ...base, error: { code: error.code, message: error.message } });
      }
      // Reads work but nothing new is saved (disk full…): still 200, so a liveness probe does not
      // restart the server and lose what it holds in memory; the body says what is wrong.
      const writing = writes();
      if (writing.error !== null) {
        const { code, message } = writing.error;
        const what = code === 'store_full' ? 'disk full' : `store error ${code}`;
        return {
          status: 'degraded' as const,
          ...base,
          error: {
            code,
            message: `${what}: new log lines and run ends cannot be saved since ${writing.failingSince}; ${writing.heldLines} lines held in memory (${message})`,
          },
          writes: writing,
        };
      }
      return { status: 'ok' as const, ...base };
    },
  );

  app.get(
    '/api/health/metrics',
    {
      config: { permission: 'server:read' },
      schema: {
        tags,
        summary: 'Executions, ingest rate, clients, database size and process load',
        response: { 200: MetricsSchema, ...errors },
      },
    },
    async () => {
      const [byStatus, sizes, hostReport] = await Promise.all([
        store.countByStatus(),
        maintenance?.sizes(),
        context.app.host.report(),
      ]);
      const active = executions.active();
      const queued = active.filter((execution) => execution.status === 'queued').length;
      const { eventLoopDelayMs, cpuPercent, rssBytes, heapUsedBytes, intervalMs } = runtime.read();
      return {
        executions: { byStatus, active: active.length - queued, queued },
        ingest: { linesTotal: ingest.total(), linesPerSecond: ingest.perSecond() },
        websocketClients: context.liveClients(),
        ...(sizes ? { database: sizes } : {}),
        writes: writes(),
        process: {
          uptimeSeconds: uptimeSeconds(),
          rssBytes,
          heapUsedBytes,
          intervalMs,
          cpuPercent,
          eventLoopDelayMs,
        },
        // The host monitor's latest samples; the history is GET /api/host's.
        hosts: hostReport.hosts.map(({ history: _history, ...now }) => now),
      };
    },
  );

  if (maintenance === undefined) return;

  app.get(
    '/api/health/database',
    {
      config: { permission: 'server:read' },
      schema: {
        tags,
        summary: 'Database size, free disk, row counts; SQLite: journal mode, pages, WAL and PRAGMAs',
        response: { 200: DatabaseDescriptionSchema, ...errors },
      },
    },
    async () => maintenance.describe(),
  );

  app.post(
    '/api/health/optimize',
    {
      config: { permission: 'settings:admin', audit: { action: 'maintenance.optimize' } },
      schema: {
        tags,
        summary: 'Database housekeeping (SQLite: refresh planner statistics, fold the WAL back in)',
        response: { 200: OptimizeResultSchema, ...errors },
      },
    },
    async (request) => {
      const started = performance.now();
      const result = await maintenance.optimize();
      const durationMs = elapsedSince(started);
      request.log.info({ durationMs, ...result.sqlite }, 'database optimized');
      return { ...result, durationMs };
    },
  );

  app.post(
    '/api/health/integrity-check',
    {
      config: { permission: 'settings:admin', audit: { action: 'maintenance.integrity_check' } },
      schema: {
        tags,
        summary: 'Read the whole database looking for damage (in the background: runs go on meanwhile)',
        response: { 200: IntegrityReportSchema, ...errors },
      },
    },
    async (request) => {
      const started = performance.now();
      const report = await maintenance.integrityCheck();
      const durationMs = elapsedSince(started);
      if (!report.ok) request.log.error({ problems: report.problems }, 'the database is damaged');
      return { ...report, durationMs };
    },
  );
}

const elapsedSince = (started: number): number => Math.round((performance.now() - started) * 100) / 100;
