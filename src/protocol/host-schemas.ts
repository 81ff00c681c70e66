import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { HOST_SAMPLE_PARTS, type HostSample } from '../core/host.js';

/**
 * Wire shapes of the host monitor (docs/DASHBOARD.md, "Host monitor"): `GET /api/host`, the `host`
 * live topic, and the `host` field a worker sends with its heartbeat. A sample holds no secret:
 * figures of the machine and the data dir's path, which a viewer may read.
 */

const Nullable = <T extends TSchema>(schema: T, description?: string) =>
  Type.Union([schema, Type.Null()], description === undefined ? {} : { description });
const Bytes = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Percent = Type.Number({ minimum: 0, maximum: 100 });
// A load average or a StepFlow process's CPU can exceed 100 (several cores); bounded for the schema.
const Load = Type.Number({ minimum: 0, maximum: 1_000_000 });

/** One reading of a machine; also what a worker sends (every figure bounded: it is input there). */
export const HostSampleSchema = Type.Object(
  {
    ts: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'epoch ms' }),
    cpu: Nullable(
      Type.Object(
        {
          percent: Percent,
          perCore: Type.Array(Percent, { maxItems: 4096 }),
        },
        { additionalProperties: false },
      ),
      'busy share since the previous sample: all cores, and each core',
    ),
    load: Nullable(
      Type.Object({ one: Load, five: Load, fifteen: Load }, { additionalProperties: false }),
      '1, 5 and 15 minute load averages',
    ),
    memory: Nullable(
      Type.Object(
        { totalBytes: Bytes, availableBytes: Bytes, usedBytes: Bytes },
        { additionalProperties: false },
      ),
      'used = total − available',
    ),
    swap: Nullable(Type.Object({ totalBytes: Bytes, usedBytes: Bytes }, { additionalProperties: false })),
    disk: Nullable(
      Type.Object(
        {
          path: Type.String({ maxLength: 4096 }),
          totalBytes: Bytes,
          usedBytes: Bytes,
          freeBytes: Bytes,
        },
        { additionalProperties: false },
      ),
      'the filesystem of the data dir (statfs); free: what an unprivileged process may still use',
    ),
    network: Nullable(
      Type.Object({ rxBytesPerSecond: Bytes, txBytesPerSecond: Bytes }, { additionalProperties: false }),
      'every interface but loopback, since the previous sample',
    ),
    processCount: Nullable(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
    uptimeSeconds: Nullable(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
    stepflow: Type.Object(
      { rssBytes: Bytes, cpuPercent: Load },
      { additionalProperties: false, description: 'this StepFlow process (the server, or the worker)' },
    ),
    unavailable: Type.Array(Type.Union(HOST_SAMPLE_PARTS.map((part) => Type.Literal(part))), {
      maxItems: HOST_SAMPLE_PARTS.length,
      description: 'what this platform cannot read (null above): no /proc on macOS or Windows',
    }),
  },
  { additionalProperties: false },
);

const HostViewSchema = Type.Object({
  id: Type.String({ description: '`server`, or `worker:<name>`' }),
  kind: Type.Union([Type.Literal('server'), Type.Literal('worker')]),
  name: Type.String({ description: 'the server’s host name, or the worker’s name' }),
  host: Type.String({ description: 'the machine’s host name' }),
  current: Nullable(HostSampleSchema, 'the latest sample; null: a worker that sent none (an older version)'),
  history: Type.Array(HostSampleSchema, { description: 'the last minutes, oldest first' }),
});

/** A host as `/api/health/metrics` gives it: its latest sample, no history. */
export const HostNowSchema = Type.Omit(HostViewSchema, ['history']);

export const HostReportSchema = Type.Object({
  intervalMs: Type.Integer({ description: 'time between two samples while someone watches' }),
  historyMs: Type.Integer({ description: 'how far back `history` goes' }),
  sampling: Type.Boolean({
    description: 'whether this server samples now: only while a client watches the `host` live topic',
  }),
  hosts: Type.Array(HostViewSchema, { description: 'this server’s machine first, then every live worker' }),
});

export type HostSampleJson = Static<typeof HostSampleSchema>;
export type HostReportJson = Static<typeof HostReportSchema>;
export type HostViewJson = Static<typeof HostViewSchema>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _sample: Same<HostSampleJson, HostSample> = true;
