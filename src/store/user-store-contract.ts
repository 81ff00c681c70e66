import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStepflowError } from '../core/errors.js';
import type { UserRecord, UserStore } from './user-store.js';

/** Fresh storage for one test, and a second connection to the same database. */
export interface UserStoreHarness {
  users: UserStore;
  /** Another process's view of the same database. */
  openAnother(): Promise<UserStore>;
  cleanup(): Promise<void>;
}

const T0 = '2030-01-01T00:00:00.000Z';
const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();

const alice = (overrides: Partial<UserRecord> = {}): UserRecord => ({
  id: 'u-alice',
  name: 'alice',
  role: 'operator',
  passwordHash: 'scrypt$N=32768,r=8,p=1$c2FsdA$aGFzaA',
  createdAt: T0,
  disabled: false,
  ...overrides,
});

/**
 * The {@link UserStore} contract, run against every backend (`sqlite/sqlite-user-store.test.ts`,
 * `postgres/pg-user-store.test.ts`): users kept and found by name, names unique, sessions found
 * only while usable (revoked, idle, absolute expiry, disabled user), and what another connection sees.
 */
export function describeUserStoreContract(name: string, open: () => Promise<UserStoreHarness>): void {
  describe(`UserStore contract (${name})`, () => {
    let harness: UserStoreHarness;
    let users: UserStore;
    beforeEach(async () => {
      harness = await open();
      ({ users } = harness);
    });
    afterEach(async () => harness.cleanup());

    const session = (idHash: string, userId = 'u-alice', idle = 60, absolute = 3600) => ({
      idHash,
      userId,
      createdAt: T0,
      idleExpiresAt: at(idle),
      expiresAt: at(absolute),
    });

    it('keeps users and finds them by name, listed by name; none at first', async () => {
      expect(await users.hasUsers()).toBe(false);
      expect(await users.listUsers()).toEqual([]);
      expect(await users.createUser(alice())).toEqual(alice());
      const bob = alice({ id: 'u-bob', name: 'bob', role: 'viewer', passwordHash: null });
      await users.createUser(bob);
      expect(await users.hasUsers()).toBe(true);
      expect(await users.getUserByName('alice')).toEqual(alice());
      expect(await users.getUserByName('ALICE')).toBeUndefined();
      expect(await users.getUserByName('carol')).toBeUndefined();
      expect((await users.listUsers()).map((u) => u.name)).toEqual(['alice', 'bob']);
      expect(await users.getUserByName('bob')).toEqual(bob);
    });

    it('refuses a second user of the same name with conflict', async () => {
      await users.createUser(alice());
      const error = await users.createUser(alice({ id: 'u-other' })).catch((e: unknown) => e);
      expect(isStepflowError(error) && error.code).toBe('conflict');
      expect(await users.listUsers()).toHaveLength(1);
    });

    it('changes role, password hash and disabled; undefined for an unknown user', async () => {
      await users.createUser(alice());
      expect(await users.updateUser('alice', { role: 'admin' })).toEqual(alice({ role: 'admin' }));
      expect(await users.updateUser('alice', { passwordHash: 'new' })).toEqual(
        alice({ role: 'admin', passwordHash: 'new' }),
      );
      expect(await users.updateUser('alice', { disabled: true })).toMatchObject({ disabled: true });
      expect(await users.getUserByName('alice')).toEqual(
        alice({ role: 'admin', passwordHash: 'new', disabled: true }),
      );
      expect(await users.updateUser('nobody', { role: 'viewer' })).toBeUndefined();
    });

    it('finds a session with its user only while usable: before idle and absolute expiry, not revoked', async () => {
      await users.createUser(alice());
      expect(await users.createSession(session('h1'))).toEqual({
        ...session('h1'),
        lastSeenAt: T0,
        revokedAt: null,
      });
      const found = await users.findSession('h1', at(30));
      expect(found?.user).toEqual(alice());
      expect(found?.session).toMatchObject({ idHash: 'h1', userId: 'u-alice', lastSeenAt: T0 });
      expect(await users.findSession('h2', at(30))).toBeUndefined();
      // Idle expiry: at 60 s it is over, unless it was used and moved forward.
      expect(await users.findSession('h1', at(60))).toBeUndefined();
      await users.touchSession('h1', at(50), at(110));
      expect((await users.findSession('h1', at(100)))?.session).toMatchObject({
        lastSeenAt: at(50),
        idleExpiresAt: at(110),
      });
      // The idle expiry never passes the absolute one.
      await users.touchSession('h1', at(3590), at(3650));
      expect((await users.findSession('h1', at(3595)))?.session.idleExpiresAt).toBe(at(3600));
      expect(await users.findSession('h1', at(3600))).toBeUndefined();
    });

    it('revokes one session, or every session of a user, at once for every connection', async () => {
      await users.createUser(alice());
      await users.createUser(alice({ id: 'u-bob', name: 'bob' }));
      await users.createSession(session('a1'));
      await users.createSession(session('a2'));
      await users.createSession(session('b1', 'u-bob'));
      const other = await harness.openAnother();
      expect(await other.findSession('a1', at(1))).toBeDefined();
      expect(await users.revokeSession('a1', at(2))).toBe(true);
      expect(await users.revokeSession('a1', at(3))).toBe(false);
      expect(await other.findSession('a1', at(4))).toBeUndefined();
      expect(await users.revokeUserSessions('u-alice', at(5))).toBe(1);
      expect(await other.findSession('a2', at(6))).toBeUndefined();
      expect(await other.findSession('b1', at(6))).toBeDefined();
    });

    it("a disabled user's sessions stop working; enabled again, they work", async () => {
      await users.createUser(alice());
      await users.createSession(session('s'));
      await users.updateUser('alice', { disabled: true });
      expect(await users.findSession('s', at(1))).toBeUndefined();
      await users.updateUser('alice', { disabled: false });
      expect(await users.findSession('s', at(1))).toBeDefined();
    });

    it('deleting a user deletes its sessions; a new user of that name does not inherit them', async () => {
      await users.createUser(alice());
      await users.createSession(session('s'));
      expect(await users.deleteUser('alice')).toBe(true);
      expect(await users.deleteUser('alice')).toBe(false);
      expect(await users.hasUsers()).toBe(false);
      await users.createUser(alice({ id: 'u-alice-2' }));
      expect(await users.findSession('s', at(1))).toBeUndefined();
    });

    const token = (id: string, name: string, expires: number | null = null, userId = 'u-alice') => ({
      id,
      userId,
      name,
      hash: `hash-${id}`,
      createdAt: T0,
      expiresAt: expires === null ? null : at(expires),
    });

    it("keeps a user's API tokens, lists them oldest first, and finds one by hash with its user while usable", async () => {
      await users.createUser(alice());
      await users.createUser(alice({ id: 'u-bob', name: 'bob', role: 'viewer' }));
      expect(await users.createApiToken(token('t1', 'ci'))).toEqual({
        ...token('t1', 'ci'),
        lastUsedAt: null,
        revokedAt: null,
      });
      await users.createApiToken({ ...token('t2', 'laptop', 60), createdAt: at(1) });
      await users.createApiToken(token('t3', 'ci', null, 'u-bob'));
      expect((await users.listApiTokens('u-alice')).map((t) => t.name)).toEqual(['ci', 'laptop']);
      expect(await users.getApiToken('t2')).toMatchObject({ name: 'laptop', expiresAt: at(60) });
      expect(await users.getApiToken('nope')).toBeUndefined();
      const found = await users.findApiToken('hash-t1', at(5));
      expect(found?.user).toEqual(alice());
      expect(found?.token).toMatchObject({ id: 't1', name: 'ci' });
      expect(await users.findApiToken('hash-none', at(5))).toBeUndefined();
      // Expiry: usable before it, not at it.
      expect(await users.findApiToken('hash-t2', at(59))).toBeDefined();
      expect(await users.findApiToken('hash-t2', at(60))).toBeUndefined();
      await users.touchApiToken('t1', at(7));
      expect((await harness.openAnother().then((o) => o.getApiToken('t1')))?.lastUsedAt).toBe(at(7));
    });

    it('a token name is unique per user among tokens not revoked; revoked tokens stop at once everywhere', async () => {
      await users.createUser(alice());
      await users.createApiToken(token('t1', 'ci'));
      const error = await users.createApiToken(token('t2', 'ci')).catch((e: unknown) => e);
      expect(isStepflowError(error) && error.code).toBe('conflict');
      const other = await harness.openAnother();
      expect(await other.findApiToken('hash-t1', at(1))).toBeDefined();
      expect(await users.revokeApiToken('t1', at(2))).toBe(true);
      expect(await users.revokeApiToken('t1', at(3))).toBe(false);
      expect(await other.findApiToken('hash-t1', at(4))).toBeUndefined();
      expect(await users.getApiToken('t1')).toMatchObject({ revokedAt: at(2) });
      // The name is free again.
      await users.createApiToken(token('t2', 'ci'));
      expect((await users.listApiTokens('u-alice')).map((t) => t.id)).toEqual(['t1', 't2']);
    });

    it("a disabled user's tokens stop working; a deleted user's tokens go with it", async () => {
      await users.createUser(alice());
      await users.createApiToken(token('t1', 'ci'));
      await users.updateUser('alice', { disabled: true });
      expect(await users.findApiToken('hash-t1', at(1))).toBeUndefined();
      await users.updateUser('alice', { disabled: false });
      expect(await users.findApiToken('hash-t1', at(1))).toBeDefined();
      await users.deleteUser('alice');
      expect(await users.getApiToken('t1')).toBeUndefined();
    });

    it('housekeeping deletes sessions expired or revoked before a time, and only those', async () => {
      await users.createUser(alice());
      await users.createSession(session('idle', 'u-alice', 10, 3600));
      await users.createSession(session('live', 'u-alice', 600, 3600));
      await users.createSession(session('revoked', 'u-alice', 600, 3600));
      await users.revokeSession('revoked', at(5));
      expect(await users.deleteSessionsBefore(at(20))).toBe(2);
      expect(await users.findSession('live', at(21))).toBeDefined();
      expect(await users.deleteSessionsBefore(at(20))).toBe(0);
    });

    it('links a user to a provider identity: found by issuer and subject, both added or neither, gone with its user', async () => {
      const identity = { issuer: 'https://id.example', subject: 'sub-1' };
      const sso = alice({ id: 'u-sso', name: 'sso-alice', passwordHash: null });
      expect(await users.getUserByIdentity(identity)).toBeUndefined();
      expect(await users.createUserWithIdentity(sso, identity)).toEqual(sso);
      expect(await users.getUserByIdentity(identity)).toEqual(sso);
      // Same subject at another issuer, or another subject: someone else.
      expect(await users.getUserByIdentity({ ...identity, issuer: 'https://other.example' })).toBeUndefined();
      expect(await users.getUserByIdentity({ ...identity, subject: 'sub-2' })).toBeUndefined();
      expect(await (await harness.openAnother()).getUserByIdentity(identity)).toEqual(sso);

      // The identity already linked: conflict, and no second user.
      const twice = await users
        .createUserWithIdentity(alice({ id: 'u-sso-2', name: 'sso-alice-2' }), identity)
        .catch((e: unknown) => e);
      expect(isStepflowError(twice) && twice.code).toBe('conflict');
      expect(await users.getUserByName('sso-alice-2')).toBeUndefined();
      // The name taken by a local user: conflict, and no link.
      await users.createUser(alice());
      const taken = await users
        .createUserWithIdentity(alice({ id: 'u-sso-3' }), { ...identity, subject: 'sub-3' })
        .catch((e: unknown) => e);
      expect(isStepflowError(taken) && taken.code).toBe('conflict');
      expect(await users.getUserByIdentity({ ...identity, subject: 'sub-3' })).toBeUndefined();

      expect(await users.deleteUser('sso-alice')).toBe(true);
      expect(await users.getUserByIdentity(identity)).toBeUndefined();
      await users.createUserWithIdentity(sso, identity);
      expect(await users.getUserByIdentity(identity)).toEqual(sso);
    });
  });
}
