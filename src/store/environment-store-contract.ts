import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_SETTINGS, type PythonEnvironment } from '../core/environments.js';
import { ERROR_CODES, isStepflowError } from '../core/errors.js';
import type { EnvironmentStore } from './environment-store.js';

/** Fresh storage for one test, and a second connection to the same database. */
export interface EnvironmentStoreHarness {
  environments: EnvironmentStore;
  /** Another process's view of the same database. */
  openAnother(): Promise<EnvironmentStore>;
  cleanup(): Promise<void>;
}

const environment = (overrides: Partial<PythonEnvironment> = {}): PythonEnvironment => ({
  name: 'data',
  interpreter: 'python3',
  requirements: ['requests==2.31.0', 'numpy>=1.26'],
  state: 'new',
  generation: 0,
  lastBuildId: null,
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
  ...overrides,
});

/**
 * The {@link EnvironmentStore} contract, run against every backend
 * (`sqlite/sqlite-environment-store.test.ts`, `postgres/pg-environment-store.test.ts`).
 */
export function describeEnvironmentStoreContract(
  name: string,
  open: () => Promise<EnvironmentStoreHarness>,
): void {
  describe(`EnvironmentStore contract (${name})`, () => {
    let harness: EnvironmentStoreHarness;
    let store: EnvironmentStore;
    beforeEach(async () => {
      harness = await open();
      store = harness.environments;
    });
    afterEach(async () => harness.cleanup());

    it('settings: empty at first, then the whole document as written, seen by another connection', async () => {
      expect(await store.readSettings()).toEqual(EMPTY_SETTINGS);
      const settings = {
        pythonIndexUrl: 'http://mirror.internal/simple/',
        pythonExtraIndexUrls: ['https://extra.example/simple/'],
        pythonTrustedHosts: ['mirror.internal'],
        env: { REGION: 'eu-west', EMPTY: '' },
        secretEnv: { TOKEN: 'sfsec:1:abc:def:ghi' },
        defaultTimeoutSeconds: 600,
        retention: { days: 30, keepLast: 100, failedDays: 90 },
      };
      await store.writeSettings(settings);
      expect(await (await harness.openAnother()).readSettings()).toEqual(settings);
      await store.writeSettings(EMPTY_SETTINGS);
      expect(await store.readSettings()).toEqual(EMPTY_SETTINGS);
    });

    it('creates, lists by name, reads; a taken name is a conflict that changes nothing', async () => {
      expect(await store.listEnvironments()).toEqual([]);
      await store.createEnvironment(environment({ name: 'web' }));
      await store.createEnvironment(environment());
      expect((await store.listEnvironments()).map((e) => e.name)).toEqual(['data', 'web']);
      expect(await store.getEnvironment('data')).toEqual(environment());
      expect(await store.getEnvironment('nope')).toBeUndefined();
      const error = await store.createEnvironment(environment({ interpreter: 'python3.12' })).catch((e) => e);
      expect(isStepflowError(error) && error.code).toBe(ERROR_CODES.CONFLICT);
      expect((await store.getEnvironment('data'))?.interpreter).toBe('python3');
    });

    it('updates the fields given; a build ends only if it is still the last one and building', async () => {
      await store.createEnvironment(environment());
      const later = '2030-01-02T00:00:00.000Z';
      const building = await store.updateEnvironment(
        'data',
        { state: 'building', lastBuildId: 'b1', requirements: ['six'] },
        later,
      );
      expect(building).toEqual(
        environment({ state: 'building', lastBuildId: 'b1', requirements: ['six'], updatedAt: later }),
      );
      expect(await store.updateEnvironment('nope', { state: 'ready' }, later)).toBeUndefined();
      expect(await store.finishBuild('data', 'b0', 'ready', later)).toBe(false);
      expect(await store.finishBuild('data', 'b1', 'failed', later)).toBe(true);
      expect((await store.getEnvironment('data'))?.state).toBe('failed');
      // A reset (or another build) since: the late end of b1 changes nothing.
      await store.updateEnvironment('data', { state: 'new', generation: 1 }, later);
      expect(await store.finishBuild('data', 'b1', 'ready', later)).toBe(false);
      expect(await (await harness.openAnother()).getEnvironment('data')).toMatchObject({
        state: 'new',
        generation: 1,
      });
    });

    it('deletes', async () => {
      await store.createEnvironment(environment());
      expect(await store.deleteEnvironment('data')).toBe(true);
      expect(await store.deleteEnvironment('data')).toBe(false);
      expect(await store.listEnvironments()).toEqual([]);
    });
  });
}
