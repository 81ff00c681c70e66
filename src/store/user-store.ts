import type { Role } from '../core/access.js';

/** A user as stored (docs/USERS.md). The password hash never leaves the application layer. */
export interface UserRecord {
  /** Random, stable: what sessions (and later API tokens and the audit log) refer to. */
  id: string;
  /** Unique, as typed at sign-in. */
  name: string;
  role: Role;
  /** The encoded scrypt hash (app/password-hash.ts); null for a user who cannot sign in by password. */
  passwordHash: string | null;
  /** ISO. */
  createdAt: string;
  /** A disabled user keeps its record but cannot sign in, and its sessions stop working. */
  disabled: boolean;
}

/** A server-side session. Its id is never stored: only the SHA-256 of the token the cookie holds. */
export interface SessionRecord {
  /** Hex SHA-256 of the session token (32 random bytes): a leaked database holds no usable session. */
  idHash: string;
  userId: string;
  /** ISO times. */
  createdAt: string;
  lastSeenAt: string;
  /** Idle expiry: moved forward by {@link UserStore.touchSession}. */
  idleExpiresAt: string;
  /** Absolute expiry: never moves. */
  expiresAt: string;
  revokedAt: string | null;
}

/**
 * Who a user is at an OpenID provider (docs/USERS.md, OIDC): the issuer and the subject (`sub`),
 * which the provider never reassigns, so a rename there finds the same user here.
 */
export interface ExternalIdentity {
  issuer: string;
  subject: string;
}

/**
 * A user's API token (docs/USERS.md). The secret is never stored: only its SHA-256, so a copy of
 * the database holds no usable token.
 */
export interface ApiTokenRecord {
  /** Random, stable: what the API and the dashboard name a token by. */
  id: string;
  userId: string;
  /** Chosen by its user; unique among the user's tokens that are not revoked. */
  name: string;
  /** Hex SHA-256 of the secret (`sft_` + 32 random bytes). */
  hash: string;
  /** ISO times; expiresAt null: never expires. */
  createdAt: string;
  expiresAt: string | null;
  /** Recorded at most once a minute (app/api-tokens.ts). */
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** What may change of a user. */
export interface UserChanges {
  role?: Role;
  passwordHash?: string | null;
  disabled?: boolean;
}

/**
 * The users port: users, their roles and password hashes, and server-side sessions, on the same
 * database as the other ports. Every backend passes `user-store-contract.ts`. Rules (who may, how
 * passwords are hashed, expiry lengths) live in the application layer (`app/users.ts`) and core
 * (`core/access.ts`): the store only keeps and finds.
 */
export interface UserStore {
  /** Adds a user; `conflict` when the name is taken. */
  createUser(user: Omit<UserRecord, 'disabled'> & { disabled?: boolean }): Promise<UserRecord>;
  getUserByName(name: string): Promise<UserRecord | undefined>;
  /** Every user, by name. */
  listUsers(): Promise<UserRecord[]>;
  /** Whether any user exists (a server with none keeps today's open loopback mode). */
  hasUsers(): Promise<boolean>;
  /** Changes a user; undefined when there is no such user. */
  updateUser(name: string, changes: UserChanges): Promise<UserRecord | undefined>;
  /** Removes a user and its sessions; false when there was none. */
  deleteUser(name: string): Promise<boolean>;

  createSession(session: Omit<SessionRecord, 'revokedAt' | 'lastSeenAt'>): Promise<SessionRecord>;
  /**
   * The session with this hash and its user, when it is usable at `at`: not revoked, neither
   * expiry passed (`at` before both), its user not disabled. Undefined otherwise.
   */
  findSession(idHash: string, at: string): Promise<{ session: SessionRecord; user: UserRecord } | undefined>;
  /** Records use at `at`: last seen, and the idle expiry moved to `idleExpiresAt` (never past the absolute one). */
  touchSession(idHash: string, at: string, idleExpiresAt: string): Promise<void>;
  /** Revokes one session (sign-out); false when it was not there or already revoked. */
  revokeSession(idHash: string, at: string): Promise<boolean>;
  /** Revokes every open session of a user (password or role changed, disabled); returns how many. */
  revokeUserSessions(userId: string, at: string): Promise<number>;
  /** Deletes sessions expired or revoked before `before` (housekeeping); returns how many. */
  deleteSessionsBefore(before: string): Promise<number>;

  /** The user linked to this provider identity (single sign-on), if any. */
  getUserByIdentity(identity: ExternalIdentity): Promise<UserRecord | undefined>;
  /**
   * Adds a user linked to a provider identity, both or neither; `conflict` when the name is taken
   * or the identity is already linked (two first sign-ins at once: the caller reads it again).
   * The link goes with its user.
   */
  createUserWithIdentity(
    user: Omit<UserRecord, 'disabled'> & { disabled?: boolean },
    identity: ExternalIdentity,
  ): Promise<UserRecord>;
  /** Adds a token; `conflict` when its user has a token of that name that is not revoked. */
  createApiToken(token: Omit<ApiTokenRecord, 'lastUsedAt' | 'revokedAt'>): Promise<ApiTokenRecord>;
  /** A token by id, whatever its state; undefined when there is none. */
  getApiToken(id: string): Promise<ApiTokenRecord | undefined>;
  /** A user's tokens (revoked and expired included), oldest first. */
  listApiTokens(userId: string): Promise<ApiTokenRecord[]>;
  /**
   * The token with this hash and its user, when it is usable at `at`: not revoked, not expired
   * (`at` before its expiry), its user not disabled. Undefined otherwise.
   */
  findApiToken(hash: string, at: string): Promise<{ token: ApiTokenRecord; user: UserRecord } | undefined>;
  /** Records use at `at`. */
  touchApiToken(id: string, at: string): Promise<void>;
  /** Revokes a token; false when it was not there or already revoked. */
  revokeApiToken(id: string, at: string): Promise<boolean>;
}
