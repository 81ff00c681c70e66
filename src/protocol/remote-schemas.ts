import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { STEP_SOURCES } from '../core/model.js';
import { ANNOTATION_LEVELS, EXECUTION_STATUSES, LOG_STREAMS, STEP_STATUSES } from '../core/statuses.js';

/**
 * Wire shapes of remote executions: a `stepflow run --server` on another host reports its run to a
 * server through these (see docs/REMOTE.md). They mirror the domain model in `core/model.ts`; the
 * server checks at compile time that each static type is assignable to its model type.
 */

const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const oneOf = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values] });
const iso = Type.String({ format: 'date-time' });
const stringMap = Type.Record(Type.String(), Type.String());
const count = Type.Integer({ minimum: 0 });
const positive = Type.Integer({ minimum: 1 });

/** Tag the server puts on every remote execution (value: the reporting host); batches go only to those. */
export const REMOTE_TAG = 'stepflow.remote';

/** Lower-case ULIDs, as the store makes them: the client creates the id in its local spool. */
const EXECUTION_ID_PATTERN = '^[0-7][0-9a-hjkmnp-tv-z]{25}$';

export const RemoteExecutionParams = Type.Object({
  id: Type.String({ pattern: EXECUTION_ID_PATTERN }),
});

export const RemoteArtifactParams = Type.Object({
  id: Type.String({ pattern: EXECUTION_ID_PATTERN }),
  artifactId: positive,
});

/** A whole execution snapshot, as the client's local store holds it. */
export const RemoteExecution = Type.Object(
  {
    id: Type.String({ pattern: EXECUTION_ID_PATTERN }),
    name: Type.String(),
    command: Type.String(),
    argv: nullable(Type.Array(Type.String())),
    cwd: Type.String(),
    tags: stringMap,
    status: oneOf(EXECUTION_STATUSES),
    exitCode: nullable(Type.Integer()),
    signal: nullable(Type.String()),
    error: nullable(Type.String()),
    createdAt: iso,
    startedAt: nullable(iso),
    endedAt: nullable(iso),
    durationMs: nullable(count),
    timeoutSeconds: nullable(Type.Number({ minimum: 0 })),
    meta: stringMap,
    /** The CLI process: crash recovery asks whether it is alive (see docs/REMOTE.md). */
    owner: nullable(Type.Object({ host: Type.String({ minLength: 1 }), pid: positive, startTime: count })),
    /** Ignored on input: the server counts the lines it stored. */
    lineCount: count,
    resources: nullable(
      Type.Object({ cpuPercentPeak: Type.Number(), memoryBytesPeak: Type.Number(), processCountPeak: count }),
    ),
    // The job link of the spool's row. Accepted so a client that sends it is not refused, and
    // ignored: a remote run is never a job run (the server stores null).
    jobId: Type.Optional(nullable(Type.String())),
    attempt: Type.Optional(nullable(Type.Integer())),
    retryOfId: Type.Optional(nullable(Type.String())),
    scheduledAt: Type.Optional(nullable(Type.String())),
  },
  { additionalProperties: false },
);
export type RemoteExecution = Static<typeof RemoteExecution>;

const RemoteLogLine = Type.Object(
  {
    seq: positive,
    ts: Type.Integer(),
    stream: oneOf(LOG_STREAMS),
    stepId: nullable(positive),
    text: Type.String(),
    flags: count,
  },
  { additionalProperties: false },
);

const RemoteStep = Type.Object(
  {
    id: positive,
    parentId: nullable(positive),
    name: Type.String(),
    status: oneOf(STEP_STATUSES),
    startedAt: iso,
    endedAt: nullable(iso),
    durationMs: nullable(count),
    meta: stringMap,
    implicit: Type.Boolean(),
    source: oneOf(STEP_SOURCES),
    error: nullable(Type.String()),
    estimatedDurationSeconds: nullable(Type.Number({ minimum: 0 })),
    firstSeq: count,
  },
  { additionalProperties: false },
);

const RemoteAnnotation = Type.Object(
  {
    id: positive,
    stepId: nullable(positive),
    seq: count,
    level: oneOf(ANNOTATION_LEVELS),
    message: Type.String(),
    title: nullable(Type.String()),
    file: nullable(Type.String()),
    line: nullable(Type.Integer()),
    col: nullable(Type.Integer()),
    endLine: nullable(Type.Integer()),
    endCol: nullable(Type.Integer()),
  },
  { additionalProperties: false },
);

/** Artifacts that could not be collected travel in batches; stored ones are uploaded (PUT). */
const RemoteFailedArtifact = Type.Object(
  {
    id: positive,
    stepId: nullable(positive),
    path: Type.String(),
    description: Type.String(),
    status: Type.Literal('failed'),
    error: Type.String(),
    createdAt: iso,
  },
  { additionalProperties: false },
);

const RemoteSample = Type.Object(
  { ts: Type.Integer(), cpuPercent: Type.Number(), memoryBytes: Type.Number(), processCount: count },
  { additionalProperties: false },
);

export const CreateRemoteExecutionBody = Type.Object(
  { execution: RemoteExecution },
  { additionalProperties: false },
);

export const CreateRemoteExecutionReply = Type.Object({
  id: Type.String(),
  /** False when the execution already existed (a retried create): continue after `lastSeq`. */
  created: Type.Boolean(),
  /** Highest log seq the server holds for it. */
  lastSeq: count,
  /** Larger artifacts are refused: the client records them as failed instead of uploading. */
  maxArtifactBytes: count,
});
export type CreateRemoteExecutionReply = Static<typeof CreateRemoteExecutionReply>;

/** Most lines one batch may carry. */
const MAX_BATCH_LINES = 10_000;

/**
 * Changes since the last acknowledged batch. `lines` must continue the stored log: lines at or
 * below the server's last seq are skipped (retries are safe); a first seq past `lastSeq + 1` is
 * refused with 409 and `details.expectedSeq`. A terminal `execution` is sent last, once every line
 * and artifact is delivered.
 */
export const RemoteBatchBody = Type.Object(
  {
    lines: Type.Array(RemoteLogLine, { maxItems: MAX_BATCH_LINES }),
    execution: Type.Optional(RemoteExecution),
    steps: Type.Optional(Type.Array(RemoteStep)),
    annotations: Type.Optional(Type.Array(RemoteAnnotation)),
    artifacts: Type.Optional(Type.Array(RemoteFailedArtifact)),
    samples: Type.Optional(Type.Array(RemoteSample)),
  },
  { additionalProperties: false },
);
export type RemoteBatchBody = Static<typeof RemoteBatchBody>;

export const RemoteBatchReply = Type.Object({ lastSeq: count });
export type RemoteBatchReply = Static<typeof RemoteBatchReply>;

/** Describes the bytes of `PUT …/artifacts/:artifactId` (an `application/octet-stream` body). */
export const RemoteArtifactQuery = Type.Object(
  {
    path: Type.String({ minLength: 1 }),
    description: Type.String({ default: '' }),
    stepId: Type.Optional(positive),
    size: count,
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    mediaType: Type.String({ default: 'application/octet-stream' }),
    createdAt: iso,
  },
  { additionalProperties: false },
);
export type RemoteArtifactQuery = Static<typeof RemoteArtifactQuery>;

export const RemoteArtifactReply = Type.Object({
  id: positive,
  path: Type.String(),
  size: count,
  sha256: Type.String(),
});
