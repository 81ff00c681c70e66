import type pg from 'pg';
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
import { toStoreError } from './pg-errors.js';

const UNIQUE_VIOLATION = '23505';

/** {@link UserStore} on the PostgreSQL backend's pool. Each method is one statement. */
export class PostgresUserStore implements UserStore {
  constructor(private readonly pool: pg.Pool) {}

  async createUser(user: Omit<UserRecord, 'disabled'> & { disabled?: boolean }): Promise<UserRecord> {
    return this.guard('cannot add the user', async () => {
      try {
        await this.pool.query(`INSERT INTO users (${USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)`, [
          user.id,
          user.name,
          user.role,
          user.passwordHash,
          user.createdAt,
          user.disabled ? 1 : 0,
        ]);
      } catch (error) {
        if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) throw nameTaken(user.name, error);
        throw error;
      }
      return { ...user, disabled: user.disabled ?? false };
    });
  }

  async getUserByName(name: string): Promise<UserRecord | undefined> {
    return this.guard('cannot read the user', async () => {
      const { rows } = await this.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE name = $1`, [
        name,
      ]);
      return rows[0] === undefined ? undefined : userFromRow(rows[0]);
    });
  }

  async listUsers(): Promise<UserRecord[]> {
    return this.guard('cannot list users', async () => {
      const { rows } = await this.pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY name`);
      return rows.map(userFromRow);
    });
  }

  async hasUsers(): Promise<boolean> {
    return this.guard('cannot read users', async () => {
      const { rows } = await this.pool.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM users) AS any');
      return rows[0]?.any === true;
    });
  }

  async updateUser(name: string, changes: UserChanges): Promise<UserRecord | undefined> {
    return this.guard('cannot change the user', async () => {
      const { rows } = await this.pool.query<UserRow>(
        `UPDATE users SET
          role = coalesce($1, role),
          password_hash = CASE WHEN $2 THEN $3 ELSE password_hash END,
          disabled = CASE WHEN $4 THEN $5::integer ELSE disabled END
        WHERE name = $6 RETURNING ${USER_COLUMNS}`,
        [
          changes.role ?? null,
          changes.passwordHash !== undefined,
          changes.passwordHash ?? null,
          changes.disabled !== undefined,
          changes.disabled === undefined ? null : changes.disabled ? 1 : 0,
          name,
        ],
      );
      return rows[0] === undefined ? undefined : userFromRow(rows[0]);
    });
  }

  async deleteUser(name: string): Promise<boolean> {
    // Its sessions go with it (ON DELETE CASCADE).
    return this.guard('cannot remove the user', async () => {
      const result = await this.pool.query('DELETE FROM users WHERE name = $1', [name]);
      return (result.rowCount ?? 0) > 0;
    });
  }

  async createSession(session: Omit<SessionRecord, 'revokedAt' | 'lastSeenAt'>): Promise<SessionRecord> {
    return this.guard('cannot open the session', async () => {
      await this.pool.query(
        `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES ($1, $2, $3, $3, $4, $5, NULL)`,
        [session.idHash, session.userId, session.createdAt, session.idleExpiresAt, session.expiresAt],
      );
      return { ...session, lastSeenAt: session.createdAt, revokedAt: null };
    });
  }

  async findSession(
    idHash: string,
    at: string,
  ): Promise<{ session: SessionRecord; user: UserRecord } | undefined> {
    return this.guard('cannot read the session', async () => {
      const { rows } = await this.pool.query<UserRow & { session: SessionRow }>(
        `SELECT ${USER_COLUMNS.split(', ')
          .map((c) => `u.${c}`)
          .join(', ')}, row_to_json(s) AS session
        FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id_hash = $1 AND s.revoked_at IS NULL AND s.idle_expires_at > $2 AND s.expires_at > $2
          AND u.disabled = 0`,
        [idHash, at],
      );
      const row = rows[0];
      return row === undefined ? undefined : { user: userFromRow(row), session: sessionFromRow(row.session) };
    });
  }

  async touchSession(idHash: string, at: string, idleExpiresAt: string): Promise<void> {
    await this.guard('cannot record the session', () =>
      this.pool.query(
        `UPDATE sessions SET last_seen_at = $1, idle_expires_at = least($2, expires_at)
        WHERE id_hash = $3 AND revoked_at IS NULL`,
        [at, idleExpiresAt, idHash],
      ),
    );
  }

  async revokeSession(idHash: string, at: string): Promise<boolean> {
    return this.guard('cannot end the session', async () => {
      const result = await this.pool.query(
        'UPDATE sessions SET revoked_at = $1 WHERE id_hash = $2 AND revoked_at IS NULL',
        [at, idHash],
      );
      return (result.rowCount ?? 0) > 0;
    });
  }

  async revokeUserSessions(userId: string, at: string): Promise<number> {
    return this.guard('cannot end the sessions', async () => {
      const result = await this.pool.query(
        'UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL',
        [at, userId],
      );
      return result.rowCount ?? 0;
    });
  }

  async deleteSessionsBefore(before: string): Promise<number> {
    return this.guard('cannot delete old sessions', async () => {
      const result = await this.pool.query(
        'DELETE FROM sessions WHERE revoked_at < $1 OR idle_expires_at < $1 OR expires_at < $1',
        [before],
      );
      return result.rowCount ?? 0;
    });
  }

  async getUserByIdentity({ issuer, subject }: ExternalIdentity): Promise<UserRecord | undefined> {
    return this.guard('cannot read the user', async () => {
      const { rows } = await this.pool.query<UserRow>(
        `SELECT ${USER_COLUMNS.split(', ')
          .map((c) => `u.${c}`)
          .join(', ')} FROM user_identities i JOIN users u ON u.id = i.user_id
        WHERE i.issuer = $1 AND i.subject = $2`,
        [issuer, subject],
      );
      return rows[0] === undefined ? undefined : userFromRow(rows[0]);
    });
  }

  async createUserWithIdentity(
    user: Omit<UserRecord, 'disabled'> & { disabled?: boolean },
    identity: ExternalIdentity,
  ): Promise<UserRecord> {
    return this.guard('cannot add the user', async () => {
      try {
        // One statement: the user and its link, both or neither.
        await this.pool.query(
          `WITH added AS (
            INSERT INTO users (${USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
          )
          INSERT INTO user_identities (issuer, subject, user_id, created_at)
          SELECT $7, $8, id, $5 FROM added`,
          [
            user.id,
            user.name,
            user.role,
            user.passwordHash,
            user.createdAt,
            user.disabled ? 1 : 0,
            identity.issuer,
            identity.subject,
          ],
        );
      } catch (error) {
        if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) {
          const constraint = (error as { constraint?: unknown }).constraint;
          throw constraint === 'user_identities_pkey' ? identityTaken(error) : nameTaken(user.name, error);
        }
        throw error;
      }
      return { ...user, disabled: user.disabled ?? false };
    });
  }

  async createApiToken(token: Omit<ApiTokenRecord, 'lastUsedAt' | 'revokedAt'>): Promise<ApiTokenRecord> {
    return this.guard('cannot add the token', async () => {
      try {
        await this.pool.query(
          `INSERT INTO api_tokens (${API_TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)`,
          [token.id, token.userId, token.name, token.hash, token.createdAt, token.expiresAt],
        );
      } catch (error) {
        if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) throw tokenNameTaken(token.name, error);
        throw error;
      }
      return { ...token, lastUsedAt: null, revokedAt: null };
    });
  }

  async getApiToken(id: string): Promise<ApiTokenRecord | undefined> {
    return this.guard('cannot read the token', async () => {
      const { rows } = await this.pool.query<ApiTokenRow>(
        `SELECT ${API_TOKEN_COLUMNS} FROM api_tokens WHERE id = $1`,
        [id],
      );
      return rows[0] === undefined ? undefined : apiTokenFromRow(rows[0]);
    });
  }

  async listApiTokens(userId: string): Promise<ApiTokenRecord[]> {
    return this.guard('cannot list tokens', async () => {
      const { rows } = await this.pool.query<ApiTokenRow>(
        `SELECT ${API_TOKEN_COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at, id`,
        [userId],
      );
      return rows.map(apiTokenFromRow);
    });
  }

  async findApiToken(
    hash: string,
    at: string,
  ): Promise<{ token: ApiTokenRecord; user: UserRecord } | undefined> {
    return this.guard('cannot read the token', async () => {
      const { rows } = await this.pool.query<UserRow & { token: ApiTokenRow }>(
        `SELECT ${USER_COLUMNS.split(', ')
          .map((c) => `u.${c}`)
          .join(', ')}, row_to_json(t) AS token
        FROM api_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)
          AND u.disabled = 0`,
        [hash, at],
      );
      const row = rows[0];
      return row === undefined ? undefined : { user: userFromRow(row), token: apiTokenFromRow(row.token) };
    });
  }

  async touchApiToken(id: string, at: string): Promise<void> {
    await this.guard('cannot record the token', () =>
      this.pool.query('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2', [at, id]),
    );
  }

  async revokeApiToken(id: string, at: string): Promise<boolean> {
    return this.guard('cannot revoke the token', async () => {
      const result = await this.pool.query(
        'UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
        [at, id],
      );
      return (result.rowCount ?? 0) > 0;
    });
  }

  private async guard<T>(context: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toStoreError(error, context);
    }
  }
}
