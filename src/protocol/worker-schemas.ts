import { Type, type Static } from '@sinclair/typebox';
import type { WorkerRecord } from '../core/workers.js';
import { HostSampleSchema } from './host-schemas.js';

/**
 * Wire shapes of `/api/workers/*` (docs/WORKERS.md): what `stepflow worker` sends to claim runs and
 * to heartbeat, and the registry `stepflow workers ls` and the Workers page read.
 */

const Label = Type.String({ minLength: 1, maxLength: 63 });

/** What a worker says of itself on each claim and heartbeat. */
const WorkerIdentitySchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\u0000-\\u001f]+$' }),
    host: Type.String({ maxLength: 255 }),
    labels: Type.Array(Label, { maxItems: 32 }),
    slots: Type.Integer({ minimum: 1, maximum: 1000 }),
    version: Type.String({ maxLength: 64 }),
  },
  { additionalProperties: false },
);

export const ClaimBodySchema = Type.Object(
  {
    worker: WorkerIdentitySchema,
    waitSeconds: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 60,
        description:
          'How long to hold the request until a run is submitted (default 0: answer at once; `stepflow worker` asks 25)',
      }),
    ),
  },
  { additionalProperties: false },
);

/** A claimed run: its id, the attempt every report must carry, and its spec (env included). */
export const ClaimReplySchema = Type.Object({
  claimed: Type.Literal(true),
  executionId: Type.String(),
  attempt: Type.Integer({ minimum: 1 }),
  spec: Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    additionalProperties: true,
    description:
      'The run spec: command or argv, cwd, env, secretEnv, tags, timeoutSeconds, limits…; a run in a project has `project: {id, name, version}` and its cwd relative to the project root (the worker fetches that version: docs/WORKSPACE.md)',
  }),
  leaseSeconds: Type.Number(),
});

export const NoClaimReplySchema = Type.Object({ claimed: Type.Literal(false), leaseSeconds: Type.Number() });

export const HeartbeatBodySchema = Type.Object(
  {
    worker: WorkerIdentitySchema,
    runs: Type.Array(
      Type.Object(
        {
          executionId: Type.String({ maxLength: 128 }),
          attempt: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 1000 },
    ),
    host: Type.Optional({
      ...HostSampleSchema,
      description:
        "The worker's machine now (the host monitor, docs/DASHBOARD.md); workers before it send none",
    }),
  },
  { additionalProperties: false },
);

export const HeartbeatReplySchema = Type.Object({
  stale: Type.Array(Type.String(), { description: 'Runs to stop: lost, ended, or claimed again' }),
  cancel: Type.Array(Type.String(), { description: 'Runs someone asked to cancel' }),
  leaseSeconds: Type.Number(),
});

const WorkerSchema = Type.Object({
  name: Type.String(),
  host: Type.String(),
  labels: Type.Array(Type.String()),
  slots: Type.Integer(),
  version: Type.String(),
  lastSeenAt: Type.String({ description: 'ISO: its last claim or heartbeat' }),
  live: Type.Boolean({ description: 'Heard from within the lease; a stale worker is marked' }),
  running: Type.Array(Type.Object({ executionId: Type.String(), attempt: Type.Integer() })),
});

export const WorkerListSchema = Type.Object({
  workers: Type.Array(WorkerSchema),
  leaseSeconds: Type.Number(),
});

export type WorkerIdentityBody = Static<typeof WorkerIdentitySchema>;
export type ClaimReply = Static<typeof ClaimReplySchema>;
export type NoClaimReply = Static<typeof NoClaimReplySchema>;
export type HeartbeatReply = Static<typeof HeartbeatReplySchema>;
export type WorkerJson = Static<typeof WorkerSchema>;
export type WorkerListJson = Static<typeof WorkerListSchema>;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _worker: Same<Omit<WorkerJson, 'live'>, WorkerRecord> = true;
