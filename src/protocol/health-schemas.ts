import { Type } from '@sinclair/typebox';
import { EXECUTION_STATUSES } from '../core/statuses.js';
import { ErrorBodySchema } from './api-schemas.js';
import { HostNowSchema } from './host-schemas.js';

/*
 * `/api/health/*`. What every storage backend can report is at the top level of the database
 * shapes; what only SQLite has (journal, pages, WAL, PRAGMAs) is under `sqlite`, absent with
 * another backend. The database routes exist only when the backend has maintenance
 * (`Stepflow.maintenance`).
 */

const Count = Type.Integer({ minimum: 0 });
const Bytes = Type.Integer({ minimum: 0 });
const Version = Type.String({ description: 'StepFlow version' });
const Uptime = Type.Integer({ minimum: 0, description: 'seconds since the server started' });
const Backend = Type.String({ description: 'the storage backend: `sqlite`' });
const DbBytes = Type.Integer({
  minimum: 0,
  description: 'the database’s size on disk (SQLite: the database file, without its WAL)',
});
const DiskFree = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
  description:
    'space left on the file system the database grows on; null when the backend cannot see it (a database server elsewhere)',
});
const Milliseconds = Type.Number({ minimum: 0 });

export const HealthOkSchema = Type.Object({
  status: Type.Literal('ok'),
  version: Version,
  uptimeSeconds: Uptime,
});

const StoreWritesSchema = Type.Object(
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

export const HealthDegradedSchema = Type.Object({
  status: Type.Literal('degraded'),
  version: Version,
  uptimeSeconds: Uptime,
  error: ErrorBodySchema.properties.error,
  writes: StoreWritesSchema,
});

export const HealthUnavailableSchema = Type.Object({
  status: Type.Literal('unavailable'),
  version: Version,
  uptimeSeconds: Uptime,
  error: ErrorBodySchema.properties.error,
});

/** `GET /api/health/metrics`. */
export const MetricsSchema = Type.Object({
  executions: Type.Object({
    byStatus: Type.Object(
      Object.fromEntries(EXECUTION_STATUSES.map((status) => [status, Count])) as Record<string, typeof Count>,
      { description: 'stored executions per status (all processes sharing the database)' },
    ),
    active: Type.Integer({ minimum: 0, description: 'executions this server is running now' }),
    queued: Type.Integer({ minimum: 0, description: 'executions waiting in this server’s queue' }),
  }),
  ingest: Type.Object({
    linesTotal: Type.Integer({ minimum: 0, description: 'log lines received since the server started' }),
    linesPerSecond: Type.Number({ minimum: 0, description: 'mean over the last 10 whole seconds' }),
  }),
  websocketClients: Count,
  database: Type.Optional(
    Type.Object(
      {
        backend: Backend,
        dbBytes: DbBytes,
        diskFreeBytes: DiskFree,
        sqlite: Type.Optional(
          Type.Object({ walBytes: Type.Integer({ minimum: 0, description: 'size of the WAL file' }) }),
        ),
      },
      { description: 'absent when the storage backend has no maintenance capability' },
    ),
  ),
  writes: StoreWritesSchema,
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
  hosts: Type.Array(HostNowSchema, {
    description:
      'the host monitor (docs/DASHBOARD.md): this server’s machine first, then every live worker’s, each with its latest sample (CPU, load, memory, disk of the data dir, StepFlow’s own process)',
  }),
});

/** `GET /api/health/database`. */
export const DatabaseDescriptionSchema = Type.Object({
  backend: Backend,
  dbBytes: DbBytes,
  diskFreeBytes: DiskFree,
  rowCounts: Type.Record(Type.String(), Count, {
    description: 'rows per table (a log chunk holds many lines)',
  }),
  sqlite: Type.Optional(
    Type.Object(
      {
        walBytes: Type.Integer({ minimum: 0, description: 'size of the WAL file' }),
        journalMode: Type.String(),
        pageCount: Count,
        pageSize: Bytes,
        freelistCount: Type.Integer({ minimum: 0, description: 'free pages a VACUUM would give back' }),
        settings: Type.Object(
          {
            cacheSizeKiB: Type.Number(),
            synchronous: Type.String(),
            tempStore: Type.String(),
            busyTimeoutMs: Type.Integer(),
            walAutocheckpointPages: Type.Integer(),
            journalSizeLimitBytes: Type.Integer(),
            mmapSizeBytes: Type.Integer(),
            foreignKeys: Type.Boolean(),
          },
          { description: 'the server connection’s PRAGMAs' },
        ),
      },
      { description: 'SQLite only' },
    ),
  ),
});

/** `POST /api/health/optimize`. */
export const OptimizeResultSchema = Type.Object({
  optimized: Type.Literal(true),
  actions: Type.Array(Type.String(), { description: 'what was done, in words' }),
  durationMs: Milliseconds,
  sqlite: Type.Optional(
    Type.Object(
      {
        checkpoint: Type.Object({
          busy: Type.Boolean({ description: 'a reader kept the checkpoint from finishing' }),
          walFrames: Type.Integer(),
          checkpointedFrames: Type.Integer(),
        }),
        walBytesBefore: Bytes,
        walBytesAfter: Bytes,
      },
      { description: 'SQLite only: the WAL checkpoint' },
    ),
  ),
});

/** `POST /api/health/integrity-check`. */
export const IntegrityReportSchema = Type.Object({
  ok: Type.Boolean({ description: 'true when nothing is damaged' }),
  problems: Type.Array(Type.String(), {
    description: 'what is damaged, in the backend’s words (at most 100); empty when ok',
  }),
  durationMs: Milliseconds,
});
