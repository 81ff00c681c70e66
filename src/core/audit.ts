import type { Principal } from './access.js';
import { validationError } from './errors.js';
import { parseSince } from './since-time.js';

/**
 * The audit log (docs/AUDIT.md): who changed what, from where, and whether it worked. Only state
 * changes are recorded (a run's log lines never are), and never a secret: no password, token, env
 * value or request body goes into an entry — only names, ids and error codes.
 */

/** What happened: a closed vocabulary, `<object kind>.<verb>`. */
export const AUDIT_ACTIONS = [
  'run.start',
  'run.cancel',
  'run.rerun',
  'run.delete',
  'run.pin',
  'run.unpin',
  'job.create',
  'job.update',
  'job.pause',
  'job.resume',
  'job.delete',
  'job.run',
  'user.create',
  'user.update',
  'user.delete',
  'user.password',
  'token.create',
  'token.revoke',
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'backup.create',
  'settings.update',
  'maintenance.optimize',
  'maintenance.integrity_check',
  'retention.sweep',
  'pipeline.create',
  'pipeline.update',
  'pipeline.delete',
  'pipeline.start',
  'pipeline.cancel',
  'pipeline.rerun',
  'environment.create',
  'environment.update',
  'environment.delete',
  'environment.build',
  'environment.reset',
  'project.create',
  'project.upload',
  'project.edit',
  'project.rollback',
  'project.delete',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** What an action is done to: the part of the action before its dot. */
export type AuditObjectKind =
  | 'run'
  | 'job'
  | 'user'
  | 'token'
  | 'auth'
  | 'backup'
  | 'settings'
  | 'maintenance'
  | 'retention'
  | 'pipeline'
  | 'environment'
  | 'project';

/** `ok`: done; `denied`: refused for want of credentials or permission (401/403); `failed`: any other refusal or error. */
export const AUDIT_OUTCOMES = ['ok', 'denied', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * Who did it: a user (`actor` is the name; `token` the name of the API token used, if one was),
 * the bootstrap `api-key`, the `worker` token, `local` (a server asking for no credentials, or
 * the CLI on the data dir: `via` tells), or `anonymous` (no valid credentials: a denied request).
 */
type AuditActorKind = 'user' | 'api-key' | 'worker' | 'local' | 'anonymous';

/** How the change came in: the HTTP API (and dashboard), or the CLI opening the store itself. */
type AuditVia = 'api' | 'cli';

/** One entry, as stored and shown. */
export interface AuditEntry {
  /** Assigned by the store, increasing: the key of keyset paging (newest first). */
  id: string;
  /** ISO time. */
  at: string;
  actorKind: AuditActorKind;
  /** The user name, or the actor kind for the others. */
  actor: string;
  /** The user's API token name when one was used; null otherwise. */
  token: string | null;
  /** The client's address (behind a trusted proxy: the forwarded one); null from the CLI. */
  ip: string | null;
  via: AuditVia;
  action: AuditAction;
  objectKind: AuditObjectKind;
  /** The run id, job id, user name…; null when the action has none (a backup) or it was not known. */
  objectId: string | null;
  outcome: AuditOutcome;
  /** The error code (core/errors.ts) of a denied or failed action; null when ok. */
  errorCode: string | null;
}

/** What a caller records; the store assigns the id. */
export type NewAuditEntry = Omit<AuditEntry, 'id'>;

/** The object kind of an action: what comes before its dot. */
export function objectKindOf(action: AuditAction): AuditObjectKind {
  return action.slice(0, action.indexOf('.')) as AuditObjectKind;
}

/** The actor fields of an entry for a principal (undefined: no valid credentials). */
export function auditActorOf(
  principal: Principal | undefined,
): Pick<AuditEntry, 'actorKind' | 'actor' | 'token'> {
  if (principal === undefined) return { actorKind: 'anonymous', actor: 'anonymous', token: null };
  if (principal.kind === 'user') {
    return { actorKind: 'user', actor: principal.name, token: principal.token ?? null };
  }
  return { actorKind: principal.kind, actor: principal.kind, token: null };
}

/** The outcome of an HTTP answer: 2xx/3xx ok, 401/403 denied, anything else failed. */
export function outcomeOfStatus(status: number): AuditOutcome {
  if (status < 400) return 'ok';
  return status === 401 || status === 403 ? 'denied' : 'failed';
}

/** What the log can be filtered by (`GET /api/audit`, `stepflow audit`); all optional, ANDed. */
export interface AuditFilter {
  /** Exact actor: a user name, or `api-key`, `worker`, `local`, `anonymous`. */
  actor?: string;
  /** An action (`run.cancel`) or a prefix ending at a dot or a word (`run.`, `run`, `auth.login`). */
  action?: string;
  objectKind?: AuditObjectKind;
  objectId?: string;
  /** ISO times: `at >= since`, `at < until`. */
  since?: string;
  until?: string;
  outcome?: AuditOutcome;
}

/** One page of the log, newest first, and the cursor of the next (older) page. */
export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `before` for the next page; null when this was the last. */
  nextCursor: string | null;
}

const ACTION_PREFIX = /^[a-z_]+(\.[a-z_]*)?$/;
const OBJECT_KINDS: readonly AuditObjectKind[] = [
  'run',
  'job',
  'user',
  'token',
  'auth',
  'backup',
  'settings',
  'pipeline',
  'environment',
  'project',
];

/** Checks an action filter (letters, `_` and at most one dot), or a `validation_failed` naming `action`. */
function checkActionPrefix(value: string): string {
  if (!ACTION_PREFIX.test(value)) {
    throw validationError(`action must be an action such as run.cancel, or its start such as run.`, {
      field: 'action',
    });
  }
  return value;
}

/** `run:<id>`, `job:<id>`, `user:<name>` (or a kind alone) as a filter, or a `validation_failed` naming `object`. */
function parseObjectFilter(value: string): Pick<AuditFilter, 'objectKind' | 'objectId'> {
  const colon = value.indexOf(':');
  const kind = colon < 0 ? value : value.slice(0, colon);
  const id = colon < 0 ? '' : value.slice(colon + 1);
  if (!(OBJECT_KINDS as readonly string[]).includes(kind)) {
    throw validationError(`object must be <kind>:<id> with kind one of ${OBJECT_KINDS.join(', ')}`, {
      field: 'object',
    });
  }
  return { objectKind: kind as AuditObjectKind, ...(id === '' ? {} : { objectId: id }) };
}

function isAuditOutcome(value: unknown): value is AuditOutcome {
  return typeof value === 'string' && (AUDIT_OUTCOMES as readonly string[]).includes(value);
}

/** The filter options as typed (`GET /api/audit`'s query, `stepflow audit`'s flags). */
export interface AuditFilterInput {
  actor?: string | undefined;
  action?: string | undefined;
  object?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  outcome?: string | undefined;
}

/**
 * Checks the filter options and turns them into an {@link AuditFilter}: `since` may be an age
 * (`24h`), `object` is `<kind>:<id>`. A bad value is a `validation_failed` naming its option.
 */
export function auditFilterFrom(input: AuditFilterInput, now: Date): AuditFilter {
  const filter: AuditFilter = {};
  if (input.actor !== undefined) filter.actor = input.actor;
  if (input.action !== undefined) filter.action = checkActionPrefix(input.action);
  if (input.object !== undefined) Object.assign(filter, parseObjectFilter(input.object));
  if (input.since !== undefined) filter.since = parseSince(input.since, now, 'since');
  if (input.until !== undefined) filter.until = parseSince(input.until, now, 'until');
  if (input.outcome !== undefined) {
    if (!isAuditOutcome(input.outcome)) {
      throw validationError(`outcome must be one of ${AUDIT_OUTCOMES.join(', ')}`, { field: 'outcome' });
    }
    filter.outcome = input.outcome;
  }
  return filter;
}

/** What a run started by `principal` records as its `createdBy`: the user's name, else the kind. */
export function createdByOf(principal: Principal): string {
  return principal.kind === 'user' ? principal.name : principal.kind;
}
