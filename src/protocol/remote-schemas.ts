import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { STEP_SOURCES } from '../core/model.js';
import { MAX_OUTPUT_CHARS, MAX_OUTPUT_NAMES } from '../core/step-files/output-limits.js';
import {
  MAX_COUNT,
  MAX_EPOCH_MS,
  MAX_INT32,
  MAX_PATH_LENGTH,
  MAX_SHORT_TEXT_LENGTH,
  MAX_TIMEOUT_SECONDS,
} from '../core/input-limits.js';
import { LimitHitSchema, RunLimitsSchema } from './limit-schemas.js';
import { ANNOTATION_LEVELS, EXECUTION_STATUSES, LOG_STREAMS, STEP_STATUSES } from '../core/statuses.js';

/**
 * Wire shapes of remote executions: a `stepflow run --server` on another host reports its run to a
 * server through these (see docs/REMOTE.md). They mirror the domain model in `core/model.ts`; the
 * server checks at compile time that each static type is assignable to its model type.
 */

/**
 * `T | null` as one JSON-schema type list, not `anyOf`: the server's Ajv coerces types, and in an
 * `anyOf` it would turn a null into the first branch's type (`""`, `0`) before trying `null`.
 */
const nullable = <T extends TSchema>(schema: T) => {
  const { type } = schema as { type?: unknown };
  if (typeof type !== 'string') throw new Error('nullable() needs a schema with one type');
  return Type.Unsafe<Static<T> | null>({ ...schema, type: [type, 'null'] });
};
const oneOf = <T extends string>(values: readonly T[]) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values] });
/**
 * Ranges: what a local run can produce, with room to spare (a remote run is a local run reported
 * late, so what its spool holds must be accepted), and what the server can store and read back.
 * Texts that come from a script's output (lines, step names, messages) may be long: a 64 KiB line
 * cut by the splitter, grown by masking; the body limit bounds a batch anyway.
 */
const iso = Type.String({ format: 'date-time', maxLength: MAX_SHORT_TEXT_LENGTH });
const text = (maxLength: number) => Type.String({ maxLength });
/** A line, a step name or a message printed by the script. */
const SCRIPT_TEXT = 262_144;
/** The command or name of a run: the CLI takes what the OS took (its argv, at most ARG_MAX). */
const RUN_TEXT = 2 * 1024 * 1024;
const stringMap = Type.Record(Type.String(), Type.String({ maxLength: SCRIPT_TEXT }), {
  maxProperties: 10_000,
});
/** A summary: 1 MiB of script text, masked (a mask may lengthen it) and ended by the cut note. */
const SUMMARY_TEXT = 4 * 1024 * 1024;
/**
 * Outputs: as many as a local run keeps, each at most twice the local total (masking may lengthen
 * a value); the total is checked on arrival (app/remote-runs.ts).
 */
const outputMap = Type.Record(Type.String(), Type.String({ maxLength: 2 * MAX_OUTPUT_CHARS }), {
  maxProperties: MAX_OUTPUT_NAMES,
});
const count = Type.Integer({ minimum: 0, maximum: MAX_COUNT });
const positive = Type.Integer({ minimum: 1, maximum: MAX_COUNT });
/** Line and column numbers, exit codes: 32-bit. */
const int32 = Type.Integer({ minimum: -MAX_INT32 - 1, maximum: MAX_INT32 });
const epochMs = Type.Integer({ minimum: 0, maximum: MAX_EPOCH_MS, description: 'Epoch milliseconds' });
/** CPU percent of a process tree: 100 per core. */
const percent = Type.Number({ minimum: 0, maximum: 1_000_000 });
const seconds = Type.Number({ minimum: 0, maximum: MAX_TIMEOUT_SECONDS });

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
    name: text(RUN_TEXT),
    command: text(RUN_TEXT),
    // One item per argument the OS passed the CLI (ARG_MAX: 2 MiB, so about a million at most).
    argv: nullable(Type.Array(text(RUN_TEXT), { maxItems: 1_048_576 })),
    cwd: text(MAX_PATH_LENGTH),
    tags: stringMap,
    status: oneOf(EXECUTION_STATUSES),
    exitCode: nullable(int32),
    signal: nullable(text(MAX_SHORT_TEXT_LENGTH)),
    error: nullable(text(SCRIPT_TEXT)),
    createdAt: iso,
    startedAt: nullable(iso),
    endedAt: nullable(iso),
    durationMs: nullable(count),
    timeoutSeconds: nullable(seconds),
    meta: stringMap,
    /** Ignored on input: the server derives it from `meta`, as the engine does. */
    estimatedDurationSeconds: Type.Optional(nullable(Type.Number({ minimum: 0, maximum: 1_000_000_000 }))),
    /** Absent from clients older than it. */
    lateAfterSeconds: Type.Optional(nullable(seconds)),
    /** The CLI process: crash recovery asks whether it is alive (see docs/REMOTE.md). */
    owner: nullable(
      Type.Object({
        host: Type.String({ minLength: 1, maxLength: MAX_SHORT_TEXT_LENGTH }),
        pid: Type.Integer({ minimum: 1, maximum: MAX_INT32 }),
        startTime: count,
      }),
    ),
    /** Ignored on input: the server counts the lines it stored. */
    lineCount: count,
    resources: nullable(
      Type.Object({ cpuPercentPeak: percent, memoryBytesPeak: count, processCountPeak: count }),
    ),
    // The job link of the spool's row. Accepted so a client that sends it is not refused, and
    // ignored: a remote run is never a job run (the server stores null).
    jobId: Type.Optional(nullable(text(MAX_SHORT_TEXT_LENGTH))),
    attempt: Type.Optional(nullable(int32)),
    retryOfId: Type.Optional(nullable(text(MAX_SHORT_TEXT_LENGTH))),
    scheduledAt: Type.Optional(nullable(text(MAX_SHORT_TEXT_LENGTH))),
    // The re-run link likewise: a remote run is never a re-run (re-running one is refused).
    rerunOf: Type.Optional(nullable(text(MAX_SHORT_TEXT_LENGTH))),
    resumeFrom: Type.Optional(nullable(text(MAX_SHORT_TEXT_LENGTH))),
    // Optional: a client older than step summaries does not send them (nor one with nothing to say).
    summary: Type.Optional(nullable(text(SUMMARY_TEXT))),
    outputs: Type.Optional(outputMap),
    // Optional: clients older than limits do not send them (docs/LIMITS.md).
    limits: Type.Optional(nullable(RunLimitsSchema)),
    limitHits: Type.Optional(Type.Array(LimitHitSchema, { maxItems: 100 })),
  },
  { additionalProperties: false },
);
export type RemoteExecution = Static<typeof RemoteExecution>;

const RemoteLogLine = Type.Object(
  {
    seq: positive,
    ts: epochMs,
    stream: oneOf(LOG_STREAMS),
    stepId: nullable(positive),
    text: text(SCRIPT_TEXT),
    flags: Type.Integer({ minimum: 0, maximum: 255 }),
  },
  { additionalProperties: false },
);

const RemoteStep = Type.Object(
  {
    id: positive,
    parentId: nullable(positive),
    name: text(SCRIPT_TEXT),
    status: oneOf(STEP_STATUSES),
    startedAt: iso,
    endedAt: nullable(iso),
    durationMs: nullable(count),
    meta: stringMap,
    implicit: Type.Boolean(),
    source: oneOf(STEP_SOURCES),
    error: nullable(text(SCRIPT_TEXT)),
    estimatedDurationSeconds: nullable(Type.Number({ minimum: 0, maximum: MAX_COUNT })),
    firstSeq: count,
    summary: Type.Optional(nullable(text(SUMMARY_TEXT))),
  },
  { additionalProperties: false },
);

const RemoteAnnotation = Type.Object(
  {
    id: positive,
    stepId: nullable(positive),
    seq: count,
    level: oneOf(ANNOTATION_LEVELS),
    message: text(SCRIPT_TEXT),
    title: nullable(text(SCRIPT_TEXT)),
    file: nullable(text(SCRIPT_TEXT)),
    line: nullable(int32),
    col: nullable(int32),
    endLine: nullable(int32),
    endCol: nullable(int32),
  },
  { additionalProperties: false },
);

/** Artifacts that could not be collected travel in batches; stored ones are uploaded (PUT). */
const RemoteFailedArtifact = Type.Object(
  {
    id: positive,
    stepId: nullable(positive),
    path: text(SCRIPT_TEXT),
    description: text(SCRIPT_TEXT),
    status: Type.Literal('failed'),
    error: text(SCRIPT_TEXT),
    createdAt: iso,
  },
  { additionalProperties: false },
);

const RemoteSample = Type.Object(
  { ts: epochMs, cpuPercent: percent, memoryBytes: count, processCount: count },
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
/** Most steps, annotations, artifacts or samples: more than the body limit (10 MiB) can hold. */
const MAX_BATCH_ITEMS = 100_000;

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
    steps: Type.Optional(Type.Array(RemoteStep, { maxItems: MAX_BATCH_ITEMS })),
    annotations: Type.Optional(Type.Array(RemoteAnnotation, { maxItems: MAX_BATCH_ITEMS })),
    artifacts: Type.Optional(Type.Array(RemoteFailedArtifact, { maxItems: MAX_BATCH_ITEMS })),
    samples: Type.Optional(Type.Array(RemoteSample, { maxItems: MAX_BATCH_ITEMS })),
  },
  { additionalProperties: false },
);
export type RemoteBatchBody = Static<typeof RemoteBatchBody>;

export const RemoteBatchReply = Type.Object({
  lastSeq: count,
  /**
   * Present (true) while someone asked the server to cancel this run (dashboard, API, `stepflow
   * cancel`): the client stops its script as for Ctrl-C, and reports it `cancelled` as usual.
   */
  cancelRequested: Type.Optional(Type.Boolean()),
});
export type RemoteBatchReply = Static<typeof RemoteBatchReply>;

/** Describes the bytes of `PUT …/artifacts/:artifactId` (an `application/octet-stream` body). */
export const RemoteArtifactQuery = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: MAX_PATH_LENGTH }),
    description: Type.String({ default: '', maxLength: 8192 }),
    stepId: Type.Optional(positive),
    size: count,
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    mediaType: Type.String({ default: 'application/octet-stream', maxLength: MAX_SHORT_TEXT_LENGTH }),
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
