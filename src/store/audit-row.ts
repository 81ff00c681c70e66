import { AUDIT_ACTIONS, type AuditEntry, type AuditFilter, type NewAuditEntry } from '../core/audit.js';
import { validationError } from '../core/errors.js';

/** The `audit_log` row, the same on both backends (their migrations declare the same columns). */
export interface AuditRow {
  id: number | string;
  at: string;
  actor_kind: string;
  actor: string;
  token: string | null;
  ip: string | null;
  via: string;
  action: string;
  object_kind: string;
  object_id: string | null;
  outcome: string;
  error_code: string | null;
}

/** Every column but the id, in the order {@link auditValues} gives them. */
export const AUDIT_INSERT_COLUMNS =
  'at, actor_kind, actor, token, ip, via, action, object_kind, object_id, outcome, error_code';
export const AUDIT_COLUMNS = `id, ${AUDIT_INSERT_COLUMNS}`;

export function auditValues(entry: NewAuditEntry): (string | null)[] {
  return [
    entry.at,
    entry.actorKind,
    entry.actor,
    entry.token,
    entry.ip,
    entry.via,
    entry.action,
    entry.objectKind,
    entry.objectId,
    entry.outcome,
    entry.errorCode,
  ];
}

/** Rows were written from the closed vocabularies of core/audit.ts: read back as they are. */
export function auditFromRow(row: AuditRow): AuditEntry {
  return {
    id: String(row.id),
    at: row.at,
    actorKind: row.actor_kind as AuditEntry['actorKind'],
    actor: row.actor,
    token: row.token,
    ip: row.ip,
    via: row.via as AuditEntry['via'],
    action: row.action as AuditEntry['action'],
    objectKind: row.object_kind as AuditEntry['objectKind'],
    objectId: row.object_id,
    outcome: row.outcome as AuditEntry['outcome'],
    errorCode: row.error_code,
  };
}

/** A cursor is the id of the last entry of a page: a positive integer. */
export function parseAuditCursor(before: string): number {
  if (!/^[1-9]\d{0,15}$/.test(before)) {
    throw validationError('cursor must be the nextCursor of a previous page', { field: 'cursor' });
  }
  return Number(before);
}

/**
 * The WHERE clause (and its values) of a listing, for either backend: `placeholder(n)` writes the
 * n-th (1-based) parameter (`?` on SQLite, `$n` on PostgreSQL). Both have `substr`, so an action
 * prefix is compared as text, with no LIKE wildcards to escape.
 */
export function auditWhere(
  filter: AuditFilter,
  before: number | undefined,
  placeholder: (n: number) => string,
): { sql: string; values: (string | number)[] } {
  const clauses: string[] = [];
  const values: (string | number)[] = [];
  const add = (clause: (p: string) => string, value: string | number): void => {
    values.push(value);
    clauses.push(clause(placeholder(values.length)));
  };
  if (before !== undefined) add((p) => `id < ${p}`, before);
  if (filter.actor !== undefined) add((p) => `actor = ${p}`, filter.actor);
  if (filter.action !== undefined) {
    const { action } = filter;
    // A whole action is matched exactly (`auth.login` is not `auth.login_failed`); else a prefix.
    if ((AUDIT_ACTIONS as readonly string[]).includes(action)) add((p) => `action = ${p}`, action);
    else add((p) => `substr(action, 1, ${action.length}) = ${p}`, action);
  }
  if (filter.objectKind !== undefined) add((p) => `object_kind = ${p}`, filter.objectKind);
  if (filter.objectId !== undefined) add((p) => `object_id = ${p}`, filter.objectId);
  if (filter.since !== undefined) add((p) => `at >= ${p}`, filter.since);
  if (filter.until !== undefined) add((p) => `at < ${p}`, filter.until);
  if (filter.outcome !== undefined) add((p) => `outcome = ${p}`, filter.outcome);
  return { sql: clauses.length === 0 ? '' : `WHERE ${clauses.join(' AND ')}`, values };
}
