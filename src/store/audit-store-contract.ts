import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewAuditEntry } from '../core/audit.js';
import { isStepflowError } from '../core/errors.js';
import type { AuditStore } from './audit-store.js';

/** Fresh storage for one test, and a second connection to the same database. */
export interface AuditStoreHarness {
  audit: AuditStore;
  /** Another process's view of the same database. */
  openAnother(): Promise<AuditStore>;
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

const entry = (overrides: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
  at: at(0),
  actorKind: 'user',
  actor: 'alice',
  token: null,
  ip: '127.0.0.1',
  via: 'api',
  action: 'run.cancel',
  objectKind: 'run',
  objectId: 'r1',
  outcome: 'ok',
  errorCode: null,
  ...overrides,
});

/**
 * The {@link AuditStore} contract, run against every backend (`sqlite/sqlite-audit-store.test.ts`,
 * `postgres/pg-audit-store.test.ts`): entries kept as given, newest first, each filter, keyset
 * pages that neither skip nor repeat, and what another connection appends.
 */
export function describeAuditStoreContract(name: string, open: () => Promise<AuditStoreHarness>): void {
  describe(`AuditStore contract (${name})`, () => {
    let harness: AuditStoreHarness;
    let audit: AuditStore;
    beforeEach(async () => {
      harness = await open();
      ({ audit } = harness);
    });
    afterEach(async () => harness.cleanup());

    it('keeps every field as given and lists newest first; empty at first', async () => {
      expect(await audit.listAudit({}, { limit: 10 })).toEqual({ entries: [], nextCursor: null });
      const first = entry();
      const second = entry({
        at: at(1),
        actorKind: 'anonymous',
        actor: 'anonymous',
        token: null,
        ip: null,
        via: 'cli',
        action: 'auth.login_failed',
        objectKind: 'auth',
        objectId: null,
        outcome: 'denied',
        errorCode: 'unauthorized',
      });
      const third = entry({
        at: at(2),
        token: 'ci',
        action: 'job.create',
        objectKind: 'job',
        objectId: 'j1',
      });
      await audit.appendAudit([first, second]);
      await audit.appendAudit([third]);
      await audit.appendAudit([]);
      const { entries, nextCursor } = await audit.listAudit({}, { limit: 10 });
      expect(nextCursor).toBeNull();
      expect(entries.map(({ id: _id, ...rest }) => rest)).toEqual([third, second, first]);
      const ids = entries.map((e) => Number(e.id));
      expect(ids[0]! > ids[1]! && ids[1]! > ids[2]!).toBe(true);
    });

    it('filters by actor, action (exact or prefix), object, time and outcome', async () => {
      await audit.appendAudit([
        entry({ at: at(0), actor: 'alice', action: 'run.start', objectId: 'r1' }),
        entry({ at: at(10), actor: 'bob', action: 'run.cancel', objectId: 'r1', outcome: 'denied' }),
        entry({ at: at(20), actor: 'alice', action: 'auth.login', objectKind: 'auth', objectId: null }),
        entry({
          at: at(30),
          actor: 'carol',
          action: 'auth.login_failed',
          objectKind: 'auth',
          objectId: null,
        }),
        entry({ at: at(40), actor: 'alice', action: 'job.delete', objectKind: 'job', objectId: 'r1' }),
      ]);
      const actions = async (filter: Parameters<AuditStore['listAudit']>[0]) =>
        (await audit.listAudit(filter, { limit: 10 })).entries.map((e) => e.action);
      expect(await actions({ actor: 'alice' })).toEqual(['job.delete', 'auth.login', 'run.start']);
      expect(await actions({ actor: 'ALICE' })).toEqual([]);
      expect(await actions({ action: 'run.' })).toEqual(['run.cancel', 'run.start']);
      expect(await actions({ action: 'run' })).toEqual(['run.cancel', 'run.start']);
      expect(await actions({ action: 'auth.login' })).toEqual(['auth.login']);
      expect(await actions({ action: 'auth.login_' })).toEqual(['auth.login_failed']);
      expect(await actions({ objectKind: 'run', objectId: 'r1' })).toEqual(['run.cancel', 'run.start']);
      expect(await actions({ objectKind: 'auth' })).toEqual(['auth.login_failed', 'auth.login']);
      expect(await actions({ since: at(10), until: at(30) })).toEqual(['auth.login', 'run.cancel']);
      expect(await actions({ outcome: 'denied' })).toEqual(['run.cancel']);
      expect(await actions({ actor: 'alice', action: 'run.', since: at(1) })).toEqual([]);
    });

    it('pages newest first with a cursor, never skipping or repeating an entry', async () => {
      const all = Array.from({ length: 7 }, (_, i) => entry({ at: at(i), objectId: `r${i}` }));
      await audit.appendAudit(all);
      const seen: string[] = [];
      let before: string | undefined;
      let pages = 0;
      do {
        const page = await audit.listAudit(
          { action: 'run.cancel' },
          { limit: 3, ...(before === undefined ? {} : { before }) },
        );
        seen.push(...page.entries.map((e) => e.objectId ?? ''));
        before = page.nextCursor ?? undefined;
        pages++;
      } while (before !== undefined);
      expect(pages).toBe(3);
      expect(seen).toEqual(['r6', 'r5', 'r4', 'r3', 'r2', 'r1', 'r0']);
    });

    it('refuses a cursor that is not one with validation_failed', async () => {
      for (const before of ['abc', '-1', '0', "1' OR 1=1"]) {
        const error = await audit.listAudit({}, { limit: 3, before }).catch((e: unknown) => e);
        expect(isStepflowError(error) && error.code).toBe('validation_failed');
      }
    });

    it('sees what another connection appended, after its own', async () => {
      const other = await harness.openAnother();
      await audit.appendAudit([entry({ objectId: 'mine' })]);
      await other.appendAudit([entry({ objectId: 'theirs' })]);
      expect((await audit.listAudit({}, { limit: 10 })).entries.map((e) => e.objectId)).toEqual([
        'theirs',
        'mine',
      ]);
    });
  });
}
