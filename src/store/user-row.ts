import { isRole } from '../core/access.js';
import { ERROR_CODES, StepflowError } from '../core/errors.js';
import type { ApiTokenRecord, SessionRecord, UserRecord } from './user-store.js';

/** The `users` row, the same on both backends (their migrations declare the same columns). */
export interface UserRow {
  id: string;
  name: string;
  role: string;
  password_hash: string | null;
  created_at: string;
  disabled: number;
}

export interface SessionRow {
  id_hash: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  idle_expires_at: string;
  expires_at: string;
  revoked_at: string | null;
}

/** The `api_tokens` row, the same on both backends. */
export interface ApiTokenRow {
  id: string;
  user_id: string;
  name: string;
  hash: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export const API_TOKEN_COLUMNS = 'id, user_id, name, hash, created_at, expires_at, last_used_at, revoked_at';

export const USER_COLUMNS = 'id, name, role, password_hash, created_at, disabled';
export const SESSION_COLUMNS =
  'id_hash, user_id, created_at, last_seen_at, idle_expires_at, expires_at, revoked_at';

export function userFromRow(row: UserRow): UserRecord {
  // A role this version does not know (written by a newer one, or edited by hand) is no role at all.
  if (!isRole(row.role)) {
    throw new StepflowError(ERROR_CODES.UNREADABLE, `user ${JSON.stringify(row.name)} has an unknown role`);
  }
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
    disabled: Number(row.disabled) === 1,
  };
}

export function sessionFromRow(row: SessionRow): SessionRecord {
  return {
    idHash: row.id_hash,
    userId: row.user_id,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    idleExpiresAt: row.idle_expires_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

export function apiTokenFromRow(row: ApiTokenRow): ApiTokenRecord {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    hash: row.hash,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** The `conflict` a second token of one name (of one user) gets, on either backend. */
export function tokenNameTaken(name: string, cause: unknown): StepflowError {
  return new StepflowError(ERROR_CODES.CONFLICT, `you already have a token named ${JSON.stringify(name)}`, {
    cause,
    details: { field: 'name' },
  });
}

/** The `conflict` a second user of one name gets, on either backend. */
export function nameTaken(name: string, cause: unknown): StepflowError {
  return new StepflowError(ERROR_CODES.CONFLICT, `a user named ${JSON.stringify(name)} already exists`, {
    cause,
    details: { field: 'name' },
  });
}

/** The `conflict` of a provider identity already linked to a user (two first sign-ins at once). */
export function identityTaken(cause: unknown): StepflowError {
  return new StepflowError(ERROR_CODES.CONFLICT, 'this single sign-on identity is already linked to a user', {
    cause,
  });
}
