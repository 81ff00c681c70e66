import type Database from 'better-sqlite3';
import type {
  ApiTokenRecord,
  ExternalIdentity,
  SessionRecord,
  UserChanges,
  UserRecord,
  UserStore,
} from '../user-store.js';
import {
  API_TOKEN_COLUMNS,
  apiTokenFromRow,
  identityTaken,
  nameTaken,
  tokenNameTaken,
  type ApiTokenRow,
  SESSION_COLUMNS,
  sessionFromRow,
  USER_COLUMNS,
  userFromRow,
  type SessionRow,
  type UserRow,
} from '../user-row.js';
import { guarded } from './sqlite-errors.js';

type Joined = UserRow & { [K in keyof SessionRow as `s_${K}`]: SessionRow[K] };

const JOINED_COLUMNS = `${USER_COLUMNS.split(', ')
  .map((c) => `u.${c}`)
  .join(', ')}, ${SESSION_COLUMNS.split(', ')
  .map((c) => `s.${c} AS s_${c}`)
  .join(', ')}`;

/** {@link UserStore} on the execution store's connection (same database file). */
export class SqliteUserStore implements UserStore {
  constructor(private readonly db: Database.Database) {}

  async createUser(user: Omit<UserRecord, 'disabled'> & { disabled?: boolean }): Promise<UserRecord> {
    return this.guard('cannot add the user', () => {
      try {
        this.db
          .prepare(`INSERT INTO users (${USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`)
          .run(user.id, user.name, user.role, user.passwordHash, user.createdAt, user.disabled ? 1 : 0);
      } catch (error) {
        if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE')
          throw nameTaken(user.name, error);
        throw error;
      }
      return { ...user, disabled: user.disabled ?? false };
    });
  }

  async getUserByName(name: string): Promise<UserRecord | undefined> {
    return this.guard('cannot read the user', () => {
      const row = this.db
        .prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE name = ?`)
        .get(name);
      return row === undefined ? undefined : userFromRow(row);
    });
  }

  async listUsers(): Promise<UserRecord[]> {
    return this.guard('cannot list users', () =>
      this.db.prepare<[], UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY name`).all().map(userFromRow),
    );
  }

  async hasUsers(): Promise<boolean> {
    return this.guard('cannot read users', () =>
      Boolean(this.db.prepare('SELECT EXISTS (SELECT 1 FROM users)').pluck().get()),
    );
  }

  async updateUser(name: string, changes: UserChanges): Promise<UserRecord | undefined> {
    return this.guard('cannot change the user', () => {
      const row = this.db
        .prepare<[string | null, number, string | null, number, number | null, string], UserRow>(
          `UPDATE users SET
            role = coalesce(?, role),
            password_hash = CASE WHEN ? THEN ? ELSE password_hash END,
            disabled = CASE WHEN ? THEN ? ELSE disabled END
          WHERE name = ? RETURNING ${USER_COLUMNS}`,
        )
        .get(
          changes.role ?? null,
          changes.passwordHash === undefined ? 0 : 1,
          changes.passwordHash ?? null,
          changes.disabled === undefined ? 0 : 1,
          changes.disabled === undefined ? null : changes.disabled ? 1 : 0,
          name,
        );
      return row === undefined ? undefined : userFromRow(row);
    });
  }

  async deleteUser(name: string): Promise<boolean> {
    // Its sessions go with it (ON DELETE CASCADE).
    return this.guard(
      'cannot remove the user',
      () => this.db.prepare('DELETE FROM users WHERE name = ?').run(name).changes > 0,
    );
  }

  async createSession(session: Omit<SessionRecord, 'revokedAt' | 'lastSeenAt'>): Promise<SessionRecord> {
    return this.guard('cannot open the session', () => {
      this.db
        .prepare(`INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL)`)
        .run(
          session.idHash,
          session.userId,
          session.createdAt,
          session.createdAt,
          session.idleExpiresAt,
          session.expiresAt,
        );
      return { ...session, lastSeenAt: session.createdAt, revokedAt: null };
    });
  }

  async findSession(
    idHash: string,
    at: string,
  ): Promise<{ session: SessionRecord; user: UserRecord } | undefined> {
    return this.guard('cannot read the session', () => {
      const row = this.db
        .prepare<[string, string, string], Joined>(
          `SELECT ${JOINED_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id
          WHERE s.id_hash = ? AND s.revoked_at IS NULL AND s.idle_expires_at > ? AND s.expires_at > ?
            AND u.disabled = 0`,
        )
        .get(idHash, at, at);
      return row === undefined ? undefined : joined(row);
    });
  }

  async touchSession(idHash: string, at: string, idleExpiresAt: string): Promise<void> {
    this.guard('cannot record the session', () => {
      this.db
        .prepare(
          `UPDATE sessions SET last_seen_at = ?, idle_expires_at = min(?, expires_at)
          WHERE id_hash = ? AND revoked_at IS NULL`,
        )
        .run(at, idleExpiresAt, idHash);
    });
  }

  async revokeSession(idHash: string, at: string): Promise<boolean> {
    return this.guard(
      'cannot end the session',
      () =>
        this.db
          .prepare('UPDATE sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL')
          .run(at, idHash).changes > 0,
    );
  }

  async revokeUserSessions(userId: string, at: string): Promise<number> {
    return this.guard(
      'cannot end the sessions',
      () =>
        this.db
          .prepare('UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL')
          .run(at, userId).changes,
    );
  }

  async deleteSessionsBefore(before: string): Promise<number> {
    return this.guard(
      'cannot delete old sessions',
      () =>
        this.db
          .prepare(`DELETE FROM sessions WHERE revoked_at < ? OR idle_expires_at < ? OR expires_at < ?`)
          .run(before, before, before).changes,
    );
  }

  async getUserByIdentity({ issuer, subject }: ExternalIdentity): Promise<UserRecord | undefined> {
    return this.guard('cannot read the user', () => {
      const row = this.db
        .prepare<[string, string], UserRow>(
          `SELECT ${USER_COLUMNS.split(', ')
            .map((c) => `u.${c}`)
            .join(', ')} FROM user_identities i JOIN users u ON u.id = i.user_id
          WHERE i.issuer = ? AND i.subject = ?`,
        )
        .get(issuer, subject);
      return row === undefined ? undefined : userFromRow(row);
    });
  }

  async createUserWithIdentity(
    user: Omit<UserRecord, 'disabled'> & { disabled?: boolean },
    identity: ExternalIdentity,
  ): Promise<UserRecord> {
    return this.guard('cannot add the user', () =>
      this.db.transaction(() => {
        try {
          this.db
            .prepare(`INSERT INTO users (${USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`)
            .run(user.id, user.name, user.role, user.passwordHash, user.createdAt, user.disabled ? 1 : 0);
        } catch (error) {
          if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE')
            throw nameTaken(user.name, error);
          throw error;
        }
        try {
          this.db
            .prepare('INSERT INTO user_identities (issuer, subject, user_id, created_at) VALUES (?, ?, ?, ?)')
            .run(identity.issuer, identity.subject, user.id, user.createdAt);
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE')
            throw identityTaken(error);
          throw error;
        }
        return { ...user, disabled: user.disabled ?? false };
      })(),
    );
  }

  async createApiToken(token: Omit<ApiTokenRecord, 'lastUsedAt' | 'revokedAt'>): Promise<ApiTokenRecord> {
    return this.guard('cannot add the token', () => {
      try {
        this.db
          .prepare(`INSERT INTO api_tokens (${API_TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)`)
          .run(token.id, token.userId, token.name, token.hash, token.createdAt, token.expiresAt);
      } catch (error) {
        if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE')
          throw tokenNameTaken(token.name, error);
        throw error;
      }
      return { ...token, lastUsedAt: null, revokedAt: null };
    });
  }

  async getApiToken(id: string): Promise<ApiTokenRecord | undefined> {
    return this.guard('cannot read the token', () => {
      const row = this.db
        .prepare<[string], ApiTokenRow>(`SELECT ${API_TOKEN_COLUMNS} FROM api_tokens WHERE id = ?`)
        .get(id);
      return row === undefined ? undefined : apiTokenFromRow(row);
    });
  }

  async listApiTokens(userId: string): Promise<ApiTokenRecord[]> {
    return this.guard('cannot list tokens', () =>
      this.db
        .prepare<[string], ApiTokenRow>(
          `SELECT ${API_TOKEN_COLUMNS} FROM api_tokens WHERE user_id = ? ORDER BY created_at, id`,
        )
        .all(userId)
        .map(apiTokenFromRow),
    );
  }

  async findApiToken(
    hash: string,
    at: string,
  ): Promise<{ token: ApiTokenRecord; user: UserRecord } | undefined> {
    return this.guard('cannot read the token', () => {
      const row = this.db
        .prepare<[string, string], UserRow & { token: string }>(
          `SELECT ${USER_COLUMNS.split(', ')
            .map((c) => `u.${c}`)
            .join(', ')}, json_object(${API_TOKEN_COLUMNS.split(', ')
            .map((c) => `'${c}', t.${c}`)
            .join(', ')}) AS token
          FROM api_tokens t JOIN users u ON u.id = t.user_id
          WHERE t.hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)
            AND u.disabled = 0`,
        )
        .get(hash, at);
      return row === undefined
        ? undefined
        : { user: userFromRow(row), token: apiTokenFromRow(JSON.parse(row.token) as ApiTokenRow) };
    });
  }

  async touchApiToken(id: string, at: string): Promise<void> {
    this.guard('cannot record the token', () => {
      this.db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(at, id);
    });
  }

  async revokeApiToken(id: string, at: string): Promise<boolean> {
    return this.guard(
      'cannot revoke the token',
      () =>
        this.db
          .prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
          .run(at, id).changes > 0,
    );
  }

  private guard<T>(context: string, operation: () => T): T {
    return guarded(this.db, context, operation);
  }
}

function joined(row: Joined): { session: SessionRecord; user: UserRecord } {
  return {
    user: userFromRow(row),
    session: sessionFromRow({
      id_hash: row.s_id_hash,
      user_id: row.s_user_id,
      created_at: row.s_created_at,
      last_seen_at: row.s_last_seen_at,
      idle_expires_at: row.s_idle_expires_at,
      expires_at: row.s_expires_at,
      revoked_at: row.s_revoked_at,
    }),
  };
}
