import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { checkRole, checkUserName, type Principal, type Role } from '../core/access.js';
import { ERROR_CODES, notFound, StepflowError, validationError } from '../core/errors.js';
import type { ExternalIdentity, UserRecord, UserStore } from '../store/user-store.js';
import { createAccessEnded, type AccessEnded } from './access-ended.js';
import type { AuditAction } from '../core/audit.js';
import { recordLocalChange, type Audit } from './audit.js';
import { hashPassword, needsRehash, verifyPassword } from './password-hash.js';

/** A user as shown (CLI `users ls --json`, `GET /api/auth/me`): never its password hash. */
interface UserView {
  name: string;
  role: Role;
  createdAt: string;
  disabled: boolean;
}

/** How long sessions live (STEPFLOW_SESSION_IDLE_SECONDS, STEPFLOW_SESSION_MAX_SECONDS). */
export interface SessionPolicy {
  idleMs: number;
  maxMs: number;
}

interface SignedIn {
  /** The session token: goes into the cookie, and nowhere else. Only its SHA-256 is stored. */
  token: string;
  user: UserView;
  /** ISO: the absolute expiry. */
  expiresAt: string;
}

/** The one message for a wrong password and an unknown (or disabled) user alike. */
const SIGN_IN_REFUSED = 'wrong user name or password';

const MIN_PASSWORD = 8;
const MAX_PASSWORD = 1024;
/** Ended sessions are kept this long (then deleted at a sign-in). */
const KEEP_ENDED_MS = 24 * 3600_000;

/**
 * Users, passwords and sessions (docs/USERS.md): what the CLI (`stepflow users …`), the server's
 * sign-in routes and its request guard call. Rules live here once: names and roles checked, the
 * last admin kept, passwords hashed (password-hash.ts), wrong password and unknown user alike.
 */
export interface Users {
  list(): Promise<UserView[]>;
  /** Whether any user exists: with none (and no API key) the server keeps its open loopback mode. */
  any(): Promise<boolean>;
  add(user: { name: string; role: string; password: string }): Promise<UserView>;
  /** Refuses (`conflict`) to remove the last enabled admin. */
  remove(name: string): Promise<void>;
  /** Sets a new password; the user's open sessions end. */
  setPassword(name: string, password: string): Promise<void>;
  /** Refuses (`conflict`) to demote the last enabled admin. Takes effect on the next request. */
  setRole(name: string, role: string): Promise<UserView>;
  /**
   * Changes what is given of role, disabled and password (`PATCH /api/users/:name`), all checked
   * before any is applied. Refuses (`conflict`) to demote or disable the last enabled admin. A new
   * password ends the user's sessions; disabling stops its sessions and tokens (until enabled).
   */
  update(
    name: string,
    changes: { role?: unknown; disabled?: unknown; password?: unknown },
  ): Promise<UserView>;
  /**
   * Calls `listener` whenever a credential stops working in this process (a sign-out, a password
   * change, a user disabled or removed, a token revoked): the live hub then re-checks its sockets.
   */
  onAccessEnded(listener: () => void): () => void;
  /**
   * `STEPFLOW_ADMIN_PASSWORD` on a first start: creates `admin` (role admin) when there is no user
   * yet. Says whether it did.
   */
  bootstrapAdmin(password: string): Promise<boolean>;
  /** Opens a session, or throws `unauthorized` with {@link SIGN_IN_REFUSED} (same time either way). */
  signIn(name: string, password: string, policy: SessionPolicy): Promise<SignedIn>;
  /**
   * Single sign-on (docs/USERS.md, OIDC): opens a session for the user linked to `identity`,
   * creating it (without a password) at its first sign-in; the role is set from the provider's
   * claims on every sign-in. A disabled user is refused (`unauthorized`); a name already taken by
   * a user not linked to this identity is refused (`conflict`): it is never taken over.
   */
  signInWithIdentity(
    signing: { identity: ExternalIdentity; name: string; role: Role },
    policy: SessionPolicy,
  ): Promise<SignedIn>;
  /** The user a session token belongs to, while the session is usable; records its use. */
  authenticate(token: string, policy: SessionPolicy): Promise<(Principal & { kind: 'user' }) | undefined>;
  /** Ends the session of this token (no error when there is none). */
  signOut(token: string): Promise<void>;
}

export function createUsers({
  users,
  accessEnded = createAccessEnded(),
  now = () => new Date(),
  audit,
}: {
  users: UserStore;
  /** Shared with the tokens use cases (app/api-tokens.ts). */
  accessEnded?: AccessEnded;
  /** Tests pass a fake clock. */
  now?: () => Date;
  /**
   * Given to the CLI's (`stepflow users …` on the store): each change is recorded in the audit log
   * as `local` via the CLI. The server leaves it out: its routes are recorded by the request's
   * audit hook (server/audit-hook.ts), which knows the caller.
   */
  audit?: Pick<Audit, 'record'>;
}): Users {
  // A hash of a random password: an unknown user's sign-in is verified against it, so it takes
  // the time a known user's does.
  let dummyHash: Promise<string> | undefined;
  const dummy = (): Promise<string> => (dummyHash ??= hashPassword(randomBytes(16).toString('hex')));

  // Whether users exist is asked on every request of the server: once one exists it stays so
  // (the last admin cannot be removed); none is re-read at most every second, so a user added by
  // `stepflow users add` in another process counts within a second.
  let known = false;
  let noneUntil = 0;
  const any = async (): Promise<boolean> => {
    if (known) return true;
    if (Date.now() < noneUntil) return false;
    known = await users.hasUsers();
    if (!known) noneUntil = Date.now() + 1000;
    return known;
  };

  const existing = async (name: string): Promise<UserRecord> => {
    const user = await users.getUserByName(name);
    if (user === undefined) throw notFound('user', name);
    return user;
  };
  const keepsAnAdmin = async (name: string): Promise<void> => {
    const admins = (await users.listUsers()).filter((u) => u.role === 'admin' && !u.disabled);
    if (admins.length === 1 && admins[0]?.name === name) {
      throw new StepflowError(
        ERROR_CODES.CONFLICT,
        `${name} is the last admin: add another admin first, or no one could manage users`,
      );
    }
  };

  const openSession = async (user: UserRecord, policy: SessionPolicy): Promise<SignedIn> => {
    const token = randomBytes(32).toString('base64url');
    const at = now();
    const expiresAt = new Date(at.getTime() + policy.maxMs).toISOString();
    await users.createSession({
      idHash: sessionHash(token),
      userId: user.id,
      createdAt: at.toISOString(),
      idleExpiresAt: new Date(at.getTime() + Math.min(policy.idleMs, policy.maxMs)).toISOString(),
      expiresAt,
    });
    await users.deleteSessionsBefore(new Date(at.getTime() - KEEP_ENDED_MS).toISOString());
    return { token, user: view(user), expiresAt };
  };

  const base: Users = {
    async list() {
      return (await users.listUsers()).map(view);
    },
    any,
    async add({ name, role, password }) {
      const user = await users.createUser({
        id: randomUUID(),
        name: checkUserName(name),
        role: checkRole(role),
        passwordHash: await hashPassword(checkPassword(password)),
        createdAt: now().toISOString(),
      });
      known = true;
      return view(user);
    },
    async remove(name) {
      const user = await existing(name);
      if (user.role === 'admin') await keepsAnAdmin(name);
      await users.deleteUser(name);
      accessEnded.publish();
    },
    async setPassword(name, password) {
      const user = await existing(name);
      await users.updateUser(name, { passwordHash: await hashPassword(checkPassword(password)) });
      // Whoever knew the old password may hold a session: it ends with it.
      await users.revokeUserSessions(user.id, now().toISOString());
      accessEnded.publish();
    },
    async setRole(name, role) {
      const checked = checkRole(role);
      const user = await existing(name);
      if (user.role === 'admin' && checked !== 'admin') await keepsAnAdmin(name);
      const changed = await users.updateUser(name, { role: checked });
      if (changed === undefined) throw notFound('user', name);
      return view(changed);
    },
    async update(name, changes) {
      const role = changes.role === undefined ? undefined : checkRole(changes.role);
      if (changes.disabled !== undefined && typeof changes.disabled !== 'boolean') {
        throw validationError('disabled must be true or false', { field: 'disabled' });
      }
      const disabled = changes.disabled;
      const password = changes.password === undefined ? undefined : checkPassword(changes.password);
      const user = await existing(name);
      const demoted = role !== undefined && role !== 'admin';
      if (user.role === 'admin' && !user.disabled && (demoted || disabled === true)) await keepsAnAdmin(name);
      const changed = await users.updateUser(name, {
        ...(role === undefined ? {} : { role }),
        ...(disabled === undefined ? {} : { disabled }),
        ...(password === undefined ? {} : { passwordHash: await hashPassword(password) }),
      });
      if (changed === undefined) throw notFound('user', name);
      if (password !== undefined) await users.revokeUserSessions(user.id, now().toISOString());
      if (password !== undefined || disabled === true) accessEnded.publish();
      return view(changed);
    },
    onAccessEnded: (listener) => accessEnded.subscribe(listener),
    async bootstrapAdmin(password) {
      if (await users.hasUsers()) return false;
      try {
        await this.add({ name: 'admin', role: 'admin', password });
      } catch (error) {
        // Another replica starting at the same time created it first.
        if (error instanceof StepflowError && error.code === ERROR_CODES.CONFLICT) return false;
        throw error;
      }
      return true;
    },
    async signIn(name, password, policy) {
      const user = typeof name === 'string' ? await users.getUserByName(name) : undefined;
      const hash = user?.passwordHash ?? (await dummy());
      const verified = await verifyPassword(String(password), hash);
      if (!verified || user === undefined || user.passwordHash === null || user.disabled) {
        throw new StepflowError(ERROR_CODES.UNAUTHORIZED, SIGN_IN_REFUSED);
      }
      if (needsRehash(user.passwordHash)) {
        await users.updateUser(user.name, { passwordHash: await hashPassword(password) });
      }
      return openSession(user, policy);
    },
    async signInWithIdentity({ identity, name, role }, policy) {
      let user = await users.getUserByIdentity(identity);
      if (user === undefined) {
        const record = {
          id: randomUUID(),
          name: checkUserName(name),
          role,
          passwordHash: null,
          createdAt: now().toISOString(),
        };
        try {
          user = await users.createUserWithIdentity(record, identity);
        } catch (error) {
          if (!(error instanceof StepflowError && error.code === ERROR_CODES.CONFLICT)) throw error;
          // Two first sign-ins at once: the other one linked it. Else the name is someone else's.
          user = await users.getUserByIdentity(identity);
          if (user === undefined) {
            throw new StepflowError(
              ERROR_CODES.CONFLICT,
              `a StepFlow user named ${name} already exists and is not linked to this single sign-on ` +
                `account: it is not taken over. An admin can remove it (stepflow users rm ${name}) ` +
                'to let single sign-on create it',
              { cause: error },
            );
          }
        }
        known = true;
      }
      if (user.disabled) {
        throw new StepflowError(ERROR_CODES.UNAUTHORIZED, `${user.name} is disabled in StepFlow`);
      }
      if (user.role !== role) {
        // The provider is the authority on SSO users' roles; the change counts from this request.
        user = (await users.updateUser(user.name, { role })) ?? user;
      }
      return openSession(user, policy);
    },
    async authenticate(token, policy) {
      const at = now();
      const found = await users.findSession(sessionHash(token), at.toISOString());
      if (found === undefined) return undefined;
      // Record use now and then, not on every request: the idle expiry is this coarse.
      const touchEveryMs = Math.min(60_000, policy.idleMs / 4);
      if (at.getTime() - Date.parse(found.session.lastSeenAt) >= touchEveryMs) {
        await users.touchSession(
          found.session.idHash,
          at.toISOString(),
          new Date(at.getTime() + policy.idleMs).toISOString(),
        );
      }
      return { kind: 'user', name: found.user.name, role: found.user.role };
    },
    async signOut(token) {
      if (await users.revokeSession(sessionHash(token), now().toISOString())) accessEnded.publish();
    },
  };
  return audit === undefined ? base : recordedChanges(base, audit);
}

/** `users` whose changes are recorded in the audit log as the CLI's (`local`), ok or failed. */
function recordedChanges(users: Users, audit: Pick<Audit, 'record'>): Users {
  // The user's name and the outcome only: never the password or its hash.
  const recorded = <T>(action: AuditAction, name: string, change: () => Promise<T>): Promise<T> =>
    recordLocalChange(audit, { action, objectKind: 'user', objectId: name }, change);
  return {
    ...users,
    add: (user) => recorded('user.create', user.name, () => users.add(user)),
    remove: (name) => recorded('user.delete', name, () => users.remove(name)),
    setPassword: (name, password) => recorded('user.password', name, () => users.setPassword(name, password)),
    setRole: (name, role) => recorded('user.update', name, () => users.setRole(name, role)),
  };
}

/** What the store keeps of a session token: its SHA-256, hex. */
function sessionHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function checkPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD || password.length > MAX_PASSWORD) {
    throw validationError(`password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters`, {
      field: 'password',
    });
  }
  return password;
}

function view(user: UserRecord): UserView {
  return { name: user.name, role: user.role, createdAt: user.createdAt, disabled: user.disabled };
}
