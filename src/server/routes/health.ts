import { Type } from '@sinclair/typebox';
import { isStepflowError } from '../../core/errors.js';
import { EXECUTION_STATUSES } from '../../core/statuses.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { ErrorBodySchema } from '../../protocol/api-schemas.js';
import type { IngestMeter } from '../ingest-meter.js';
import { createRuntimeMeter } from '../runtime-meter.js';

const Count = Type.Integer({ minimum: 0 });
const Bytes = Type.Integer({ minimum: 0 });
const Version = Type.String({ description: 'StepFlow version' });
const Uptime = Type.Integer({ minimum: 0, description: 'seconds since the server started' });

const HealthOk = Type.Object({ status: Type.Literal('ok'), version: Version, uptimeSeconds: Uptime });

const StoreWrites = Type.Object(
  {
    failingSince: Type.Union([Type.String(), Type.Null()], {
      description: 'when commits started to fail; null while they succeed',
    }),
    error: Type.Union([ErrorBodySchema.properties.error, Type.Null()], {
      description: 'the last commit error (`store_full`: the disk is full)',
    }),
    failedAttempts: Type.Integer({
      minimum: 0,
      description: 'failed attempts since commits started to fail',
    }),
    failedAttemptsTotal: Type.Integer({
      minimum: 0,
      description: 'failed attempts since the server started',
    }),
    heldLines: Type.Integer({ minimum: 0, description: 'log lines waiting in memory to be committed' }),
    heldBytes: Type.Integer({
      minimum: 0,
      description:
        'their size, about, while commits fail (0 otherwise); past STEPFLOW_WRITE_BUFFER_MB the runs printing are stopped',
    }),
  },
  { description: 'the store writer: commits of running executions (lines, steps, ends)' },
);
const HealthDegraded = Type.Object({
  status: Type.Literal('degraded'),
  version: Version,
  uptimeSeconds: Uptime,
  error: ErrorBodySchema.properties.error,
  writes: StoreWrites,
});
const HealthUnavailable = Type.Object({
  status: Type.Literal('unavailable'),
  version: Version,
  uptimeSeconds: Uptime,
  error: ErrorBodySchema.properties.error,
});

const Metrics = Type.Object({
  executions: Type.Object({
    byStatus: Type.Object(
      Object.fromEntries(EXECUTION_STATUSES.map((status) => [status, Count])) as Record<string, typeof Count>,
      { description: 'stored executions per status (all processes sharing the data dir)' },
    ),
    active: Type.Integer({ minimum: 0, description: 'executions this server is running now' }),
    queued: Type.Integer({ minimum: 0, description: 'executions waiting in this server’s queue' }),
  }),
  ingest: Type.Object({
    linesTotal: Type.Integer({ minimum: 0, description: 'log lines received since the server started' }),
    linesPerSecond: Type.Number({ minimum: 0, description: 'mean over the last 10 whole seconds' }),
  }),
  websocketClients: Count,
  database: Type.Object({
    dbBytes: Bytes,
    walBytes: Bytes,
    diskFreeBytes: Type.Integer({ minimum: 0, description: 'space left on the data dir’s file system' }),
  }),
  writes: StoreWrites,
  process: Type.Object({
    uptimeSeconds: Uptime,
    rssBytes: Bytes,
    heapUsedBytes: Bytes,
    intervalMs: Type.Number({
      description: 'the span cpuPercent and eventLoopDelayMs cover: since the previous call',
    }),
    cpuPercent: Type.Number({ minimum: 0, description: 'user + system CPU over wall time; 100 = one core' }),
    eventLoopDelayMs: Type.Object({ p50: Type.Number(), p99: Type.Number(), max: Type.Number() }),
  }),
});

const DatabaseStats = Type.Object({
  journalMode: Type.String(),
  pageCount: Count,
  pageSize: Bytes,
  freelistCount: Type.Integer({ minimum: 0, description: 'free pages a VACUUM would give back' }),
  rowCounts: Type.Record(Type.String(), Count, {
    description: 'rows per table (a log chunk holds many lines)',
  }),
  dbFileBytes: Bytes,
  walFileBytes: Bytes,
  diskFreeBytes: Type.Integer({ minimum: 0, description: 'space left on the data dir’s file system' }),
  settings: Type.Object({
    cacheSizeKiB: Type.Number(),
    synchronous: Type.String(),
    tempStore: Type.String(),
    busyTimeoutMs: Type.Integer(),
    walAutocheckpointPages: Type.Integer(),
    journalSizeLimitBytes: Type.Integer(),
    mmapSizeBytes: Type.Integer(),
    foreignKeys: Type.Boolean(),
  }),
});

const OptimizeResult = Type.Object({
  optimized: Type.Literal(true),
  actions: Type.Array(Type.String(), { description: 'what was done, in words' }),
  checkpoint: Type.Object({
    busy: Type.Boolean({ description: 'a reader kept the checkpoint from finishing' }),
    walFrames: Type.Integer(),
    checkpointedFrames: Type.Integer(),
  }),
  walBytesBefore: Bytes,
  walBytesAfter: Bytes,
  durationMs: Type.Number(),
});

const tags = ['health'];
const errors = { 500: ErrorBodySchema, 503: ErrorBodySchema };

/** Liveness, metrics and database maintenance under /api/health. */
export function registerHealthRoutes(app: StepflowApp, context: ServerContext, ingest: IngestMeter): void {
  const { store, engine, writer } = context.stepflow;
  const runtime = createRuntimeMeter();
  app.addHook('onClose', async () => runtime.close());
  const uptimeSeconds = (): number => Math.floor((Date.now() - context.startedAt) / 1000);

  app.get(
    '/api/health',
    {
      schema: {
        tags,
        summary: 'Is the server up and its database usable? `degraded` (still 200): reads work, commits fail',
        response: { 200: Type.Union([HealthOk, HealthDegraded]), 503: HealthUnavailable },
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
      const writes = writer.health();
      if (writes.error !== null) {
        const { code, message } = writes.error;
        const what = code === 'store_full' ? 'disk full' : `store error ${code}`;
        return {
          status: 'degraded' as const,
          ...base,
          error: {
            code,
            message: `${what}: new log lines and run ends cannot be saved since ${writes.failingSince}; ${writes.heldLines} lines held in memory (${message})`,
          },
          writes,
        };
      }
      return { status: 'ok' as const, ...base };
    },
  );

  app.get(
    '/api/health/metrics',
    {
      schema: {
        tags,
        summary: 'Executions, ingest rate, clients, database size and process load',
        response: { 200: Metrics, ...errors },
      },
    },
    async () => {
      const [byStatus, sizes] = await Promise.all([store.countByStatus(), store.fileSizes()]);
      const active = engine.active();
      const queued = active.filter((execution) => execution.status === 'queued').length;
      const { eventLoopDelayMs, cpuPercent, rssBytes, heapUsedBytes, intervalMs } = runtime.read();
      return {
        executions: { byStatus, active: active.length - queued, queued },
        ingest: { linesTotal: ingest.total(), linesPerSecond: ingest.perSecond() },
        websocketClients: context.liveClients(),
        database: {
          dbBytes: sizes.dbFileBytes,
          walBytes: sizes.walFileBytes,
          diskFreeBytes: sizes.diskFreeBytes,
        },
        writes: writer.health(),
        process: {
          uptimeSeconds: uptimeSeconds(),
          rssBytes,
          heapUsedBytes,
          intervalMs,
          cpuPercent,
          eventLoopDelayMs,
        },
      };
    },
  );

  app.get(
    '/api/health/database',
    {
      schema: {
        tags,
        summary: 'SQLite journal mode, pages, row counts and settings',
        response: { 200: DatabaseStats, ...errors },
      },
    },
    async () => store.stats(),
  );

  app.post(
    '/api/health/optimize',
    {
      schema: {
        tags,
        summary: 'Refresh query planner statistics and fold the WAL back into the database',
        response: { 200: OptimizeResult, ...errors },
      },
    },
    async (request) => {
      const started = performance.now();
      const result = await store.optimize();
      const durationMs = Math.round((performance.now() - started) * 100) / 100;
      const { checkpoint } = result;
      const walBytes = `WAL ${result.walBytesBefore} → ${result.walBytesAfter} bytes`;
      const actions = [
        'PRAGMA optimize: refreshed query planner statistics where they were stale',
        checkpoint.busy
          ? `wal_checkpoint(TRUNCATE): a reader was using the WAL, so only part of it was copied; try again later (${walBytes})`
          : `wal_checkpoint(TRUNCATE): copied the WAL into the database and truncated it (${walBytes})`,
      ];
      request.log.info(
        { durationMs, walBytesBefore: result.walBytesBefore, walBytesAfter: result.walBytesAfter },
        'database optimized',
      );
      return { ...result, actions, durationMs };
    },
  );
}
