import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { allows, checkUserName, type Principal } from '../core/access.js';
import { ERROR_CODES, notFound, StepflowError, validationError } from '../core/errors.js';
import type { ApiTokenRecord, UserRecord, UserStore } from '../store/user-store.js';
import type { AccessEnded } from './access-ended.js';

/** A token as shown (API, dashboard): never its secret nor its hash. */
export interface ApiTokenView {
  id: string;
  /** Its user's name. */
  user: string;
  name: string;
  /** ISO times. */
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** Every secret starts so: a leaked one is easy to grep for (and for secret scanners to spot). */
export const API_TOKEN_PREFIX = 'sft_';
/** Use is recorded at most this often per token, never on every request. */
const TOUCH_EVERY_MS = 60_000;
const NAME = /^[^\p{Cc}]{1,64}$/u;

/**
 * Users' API tokens (docs/USERS.md): what `/api/tokens` and the request guard call. A token acts
 * as its user with the user's current role; the secret is shown once at creation and only its
 * SHA-256 is kept. Rules here, once: a user manages their own tokens, `users:admin` anyone's; a
 * token cannot mint tokens (a leaked one could otherwise outlive its own revocation or expiry).
 */
export interface ApiTokens {
  /** Creates a token for `user` (default: the caller); the secret is in the answer and nowhere else. */
  create(
    by: Principal,
    input: { name: unknown; expiresAt?: unknown; user?: unknown },
  ): Promise<{ token: ApiTokenView; secret: string }>;
  /** The tokens of `user` (default: the caller; none for a caller that is not a user), revoked and expired included. */
  list(by: Principal, user?: string): Promise<ApiTokenView[]>;
  /** Revokes a token: the very next request with it is refused, on every replica. */
  revoke(by: Principal, id: string): Promise<ApiTokenView>;
  /** The principal a secret stands for while usable; records its use at most once a minute. */
  authenticate(secret: string): Promise<(Principal & { kind: 'user' }) | undefined>;
}

export function createApiTokens({
  users,
  accessEnded,
  now = () => new Date(),
}: {
  users: UserStore;
  accessEnded?: AccessEnded;
  /** Tests pass a fake clock. */
  now?: () => Date;
}): ApiTokens {
  /** The user whose tokens `by` acts on; refuses what `by` may not. */
  const ownerFor = async (by: Principal, user: unknown): Promise<UserRecord> => {
    const own = by.kind === 'user' ? by.name : undefined;
    if (user === undefined && own === undefined) {
      throw validationError('API tokens belong to a user: name one (user)', { field: 'user' });
    }
    const name = user === undefined ? (own as string) : checkUserName(user, 'user');
    if (name !== own && !allows(by, 'users:admin')) {
      throw new StepflowError(ERROR_CODES.FORBIDDEN, `only an admin may see or change ${name}'s tokens`);
    }
    const found = await users.getUserByName(name);
    if (found === undefined) throw notFound('user', name);
    return found;
  };

  return {
    async create(by, input) {
      if (by.kind === 'user' && by.token !== undefined) {
        throw new StepflowError(
          ERROR_CODES.FORBIDDEN,
          'an API token cannot create tokens: sign in to the dashboard, or ask an admin',
        );
      }
      const owner = await ownerFor(by, input.user);
      const at = now();
      const secret = API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
      const record = await users.createApiToken({
        id: randomUUID(),
        userId: owner.id,
        name: checkTokenName(input.name),
        hash: tokenHash(secret),
        createdAt: at.toISOString(),
        expiresAt: checkExpiry(input.expiresAt, at),
      });
      return { token: view(record, owner.name), secret };
    },
    async list(by, user) {
      // A key or the open local mode is no user: it holds no tokens of its own.
      if (user === undefined && by.kind !== 'user') return [];
      const owner = await ownerFor(by, user);
      return (await users.listApiTokens(owner.id)).map((token) => view(token, owner.name));
    },
    async revoke(by, id) {
      const token = await users.getApiToken(id);
      const owner =
        token === undefined ? undefined : (await users.listUsers()).find((u) => u.id === token.userId);
      // Someone else's token is as unknown as a missing one to whoever may not manage it.
      const mayManage =
        owner !== undefined && ((by.kind === 'user' && by.name === owner.name) || allows(by, 'users:admin'));
      if (token === undefined || owner === undefined || !mayManage) throw notFound('token', id);
      await users.revokeApiToken(id, now().toISOString());
      accessEnded?.publish();
      return view((await users.getApiToken(id)) ?? token, owner.name);
    },
    async authenticate(secret) {
      if (!secret.startsWith(API_TOKEN_PREFIX)) return undefined;
      const at = now();
      const found = await users.findApiToken(tokenHash(secret), at.toISOString());
      if (found === undefined) return undefined;
      const { token, user } = found;
      if (token.lastUsedAt === null || at.getTime() - Date.parse(token.lastUsedAt) >= TOUCH_EVERY_MS) {
        await users.touchApiToken(token.id, at.toISOString());
      }
      return { kind: 'user', name: user.name, role: user.role, token: token.name };
    },
  };
}

/** What the store keeps of a secret: its SHA-256, hex. */
function tokenHash(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function checkTokenName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '' || !NAME.test(name)) {
    throw validationError('name must be 1-64 characters, not blank, without control characters', {
      field: 'name',
    });
  }
  return name;
}

function checkExpiry(expiresAt: unknown, at: Date): string | null {
  if (expiresAt === undefined || expiresAt === null) return null;
  const ms = typeof expiresAt === 'string' ? Date.parse(expiresAt) : Number.NaN;
  if (Number.isNaN(ms) || ms <= at.getTime()) {
    throw validationError('expiresAt must be a date and time in the future (ISO 8601), or null', {
      field: 'expiresAt',
    });
  }
  return new Date(ms).toISOString();
}

function view(token: ApiTokenRecord, user: string): ApiTokenView {
  return {
    id: token.id,
    user,
    name: token.name,
    createdAt: token.createdAt,
    expiresAt: token.expiresAt,
    lastUsedAt: token.lastUsedAt,
    revokedAt: token.revokedAt,
  };
}
