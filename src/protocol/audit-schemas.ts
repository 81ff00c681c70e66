import { Type, type Static } from '@sinclair/typebox';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from '../core/audit.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

/** One audit log entry (docs/AUDIT.md), as `GET /api/audit` and `stepflow audit --json` show it. */
const AuditEntrySchema = Type.Object({
  id: Type.String({ description: 'Increasing; the cursor of keyset paging' }),
  at: Type.String({ description: 'ISO time' }),
  actorKind: Type.Union(
    ['user', 'api-key', 'worker', 'local', 'anonymous'].map((kind) => Type.Literal(kind)),
  ),
  actor: Type.String({ description: 'The user name, or the actor kind for the others' }),
  token: Nullable(Type.String({ description: "The user's API token name, when one was used" })),
  ip: Nullable(Type.String({ description: 'The client address; null from the CLI' })),
  via: Type.Union([Type.Literal('api'), Type.Literal('cli')]),
  action: Type.Union(AUDIT_ACTIONS.map((action) => Type.Literal(action))),
  objectKind: Type.String(),
  objectId: Nullable(Type.String()),
  outcome: Type.Union(AUDIT_OUTCOMES.map((outcome) => Type.Literal(outcome))),
  errorCode: Nullable(Type.String({ description: 'Why it was denied or failed' })),
});

export const AuditPageSchema = Type.Object({
  entries: Type.Array(AuditEntrySchema),
  nextCursor: Nullable(Type.String({ description: 'Pass as `cursor` for the next (older) page' })),
});

export const AuditQuerySchema = Type.Object(
  {
    actor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'A user name, api-key, worker, local or anonymous',
      }),
    ),
    action: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'An action (run.cancel) or its start (run.)' }),
    ),
    object: Type.Optional(
      Type.String({ minLength: 1, maxLength: 300, description: '<kind>:<id>, e.g. run:01J…, user:alice' }),
    ),
    since: Type.Optional(Type.String({ maxLength: 40, description: 'ISO time or an age: 30m, 24h, 7d' })),
    until: Type.Optional(Type.String({ maxLength: 40, description: 'ISO time (exclusive)' })),
    outcome: Type.Optional(Type.Union(AUDIT_OUTCOMES.map((outcome) => Type.Literal(outcome)))),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 32 })),
    format: Type.Optional(
      Type.Union([Type.Literal('json'), Type.Literal('jsonl')], {
        description: 'jsonl: every matching entry, one JSON object a line, streamed (no paging)',
      }),
    ),
  },
  { additionalProperties: false },
);

export type AuditEntryJson = Static<typeof AuditEntrySchema>;
export type AuditPageJson = Static<typeof AuditPageSchema>;
