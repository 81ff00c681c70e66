import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_SETTINGS } from '../core/environments.js';
import { DEFAULT_RETRY, type JobDefinition } from '../core/jobs/job.js';
import type { StoreBackend } from './store-backend.js';

/** Fresh storage for one test. */
export interface SecretDocumentsHarness {
  backend: StoreBackend;
  cleanup(): Promise<void>;
}

const job = (name: string, env: Record<string, string>): JobDefinition => ({
  name,
  command: './deploy.sh',
  argv: null,
  cwd: '/srv',
  env,
  tags: {},
  timeoutSeconds: null,
  enabled: true,
  triggers: [],
  retry: DEFAULT_RETRY,
  overlap: 'skip',
  maxConcurrentRuns: null,
  missedFire: 'skip',
  lateAfterSeconds: null,
  lateByP95: false,
  webhooks: [],
  runsOn: [],
  retryOnLost: false,
});

/** Marks what `rewrite` was given, as sealing would change it. */
const mark = (json: string): string => json.replace(/"(TOKEN|PW)":"([^"]*)"/g, '"$1":"sealed-$2"');

/**
 * The {@link SecretDocuments} contract, run against every backend (`sqlite/sqlite-secret-documents.test.ts`,
 * `postgres/pg-secret-documents.test.ts`): every job definition and every run spec with an env is
 * rewritten in one transaction with the key id, nothing else is read, a throw changes nothing.
 */
export function describeSecretDocumentsContract(
  name: string,
  open: () => Promise<SecretDocumentsHarness>,
): void {
  describe(`SecretDocuments contract (${name})`, () => {
    let harness: SecretDocumentsHarness;
    beforeEach(async () => {
      harness = await open();
    });
    afterEach(async () => harness.cleanup());

    const seed = async () => {
      const { jobs, store } = harness.backend;
      const a = await jobs.createJob(job('a', { TOKEN: 't1', MODE: 'x' }));
      const b = await jobs.createJob(job('b', {}));
      const withEnv = await store.createExecution({
        spec: { command: 'x', cwd: '/', env: {}, secretEnv: { PW: 'p1' } },
        status: 'queued',
        owner: null,
        runsOn: [],
      });
      const without = await store.createExecution({
        spec: { command: 'y', cwd: '/', env: {} },
        status: 'queued',
        owner: null,
        runsOn: [],
      });
      return { a, b, withEnv, without };
    };

    it('rewrites every job definition and each run spec with an env in one go, and records the key id', async () => {
      const { secrets, jobs, store } = harness.backend;
      const { a, withEnv, without } = await seed();
      expect(await secrets.keyId()).toBeNull();
      const seen: string[] = [];
      const counts = await secrets.rewrite('k1', (json) => {
        seen.push(json);
        const next = mark(json);
        return next === json ? undefined : next;
      });
      expect(counts).toEqual({ jobs: 1, runs: 1, settings: 0 });
      // Both jobs, the run with a secretEnv; never the run without any env.
      expect(seen).toHaveLength(3);
      expect(seen.some((json) => json.includes('"command":"y"'))).toBe(false);
      expect(await secrets.keyId()).toBe('k1');
      expect((await jobs.getJob(a.id))?.env).toEqual({ TOKEN: 'sealed-t1', MODE: 'x' });
      expect((await store.getRunSpec(withEnv.id))?.secretEnv).toEqual({ PW: 'sealed-p1' });
      expect((await store.getRunSpec(without.id))?.command).toBe('y');
      expect(await secrets.countContaining('sealed-')).toEqual({ jobs: 1, runs: 1, settings: 0 });
      expect(await secrets.countContaining('nowhere')).toEqual({ jobs: 0, runs: 0, settings: 0 });
    });

    it('changes nothing when the rewrite throws, and records no key id for a check', async () => {
      const { secrets, jobs } = harness.backend;
      const { a } = await seed();
      await secrets.rewrite(null, () => undefined);
      expect(await secrets.keyId()).toBeNull();
      let calls = 0;
      await expect(
        secrets.rewrite('k2', (json) => {
          if (++calls === 3) throw new Error('wrong key');
          return mark(json);
        }),
      ).rejects.toThrow('wrong key');
      expect((await jobs.getJob(a.id))?.env).toEqual({ TOKEN: 't1', MODE: 'x' });
      expect(await secrets.keyId()).toBeNull();
      expect(await secrets.countContaining('sealed-')).toEqual({ jobs: 0, runs: 0, settings: 0 });
    });

    it('rewrites the settings document too, once written, telling each document its kind', async () => {
      const { secrets, environments } = harness.backend;
      const kinds: string[] = [];
      await secrets.rewrite('k1', (_json, kind) => {
        kinds.push(kind);
        return undefined;
      });
      // Never written: no settings document to rewrite.
      expect(kinds).toEqual([]);
      await seed();
      await environments.writeSettings({ ...EMPTY_SETTINGS, env: { MODE: 'x' }, secretEnv: { TOKEN: 't9' } });
      const counts = await secrets.rewrite('k2', (json, kind) => {
        kinds.push(kind);
        const next = mark(json);
        return next === json ? undefined : next;
      });
      expect([...kinds].sort()).toEqual(['job', 'job', 'run', 'settings']);
      expect(counts).toEqual({ jobs: 1, runs: 1, settings: 1 });
      expect((await environments.readSettings()).secretEnv).toEqual({ TOKEN: 'sealed-t9' });
      expect(await secrets.countContaining('sealed-t9')).toEqual({ jobs: 0, runs: 0, settings: 1 });
    });
  });
}
