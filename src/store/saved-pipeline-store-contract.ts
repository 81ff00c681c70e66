import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SavedPipelineStore } from './saved-pipeline-store.js';

/** Fresh storage for one test, and a second connection to the same database. */
export interface SavedPipelineStoreHarness {
  pipelines: SavedPipelineStore;
  /** Another process's view of the same database. */
  openAnother(): Promise<SavedPipelineStore>;
  cleanup(): Promise<void>;
}

const T1 = '2030-01-01T00:00:00.000Z';
const T2 = '2030-01-02T00:00:00.000Z';
const YAML = '# kept as given\nname: nightly\nnodes:\n  a: { run: ./a.sh }\n';

/**
 * The {@link SavedPipelineStore} contract, run against every backend
 * (`sqlite/sqlite-saved-pipeline-store.test.ts`, `postgres/pg-saved-pipeline-store.test.ts`): text
 * kept byte for byte, a taken name refused without a write, put creating then replacing (created
 * time kept), byte-order listing, deletes, and what another connection sees.
 */
export function describeSavedPipelineStoreContract(
  name: string,
  open: () => Promise<SavedPipelineStoreHarness>,
): void {
  describe(`SavedPipelineStore contract (${name})`, () => {
    let harness: SavedPipelineStoreHarness;
    let pipelines: SavedPipelineStore;
    beforeEach(async () => {
      harness = await open();
      ({ pipelines } = harness);
    });
    afterEach(async () => harness.cleanup());

    it('creates once, keeps the text as given, and refuses a taken name without writing', async () => {
      expect(await pipelines.listSavedPipelines()).toEqual([]);
      const created = await pipelines.createSavedPipeline({ name: 'nightly', yaml: YAML, at: T1 });
      const expected = { name: 'nightly', yaml: YAML, createdAt: T1, updatedAt: T1 };
      expect(created).toEqual(expected);
      expect(await pipelines.createSavedPipeline({ name: 'nightly', yaml: 'other', at: T2 })).toBeUndefined();
      expect(await pipelines.getSavedPipeline('nightly')).toEqual(expected);
      expect(await pipelines.getSavedPipeline('Nightly')).toBeUndefined();
      expect(await pipelines.getSavedPipeline('missing')).toBeUndefined();
    });

    it('puts: creates, then replaces the text keeping the created time', async () => {
      expect(await pipelines.putSavedPipeline({ name: 'p', yaml: 'one', at: T1 })).toEqual({
        created: true,
        pipeline: { name: 'p', yaml: 'one', createdAt: T1, updatedAt: T1 },
      });
      expect(await pipelines.putSavedPipeline({ name: 'p', yaml: 'two', at: T2 })).toEqual({
        created: false,
        pipeline: { name: 'p', yaml: 'two', createdAt: T1, updatedAt: T2 },
      });
    });

    it('lists by name in byte order and deletes; another connection sees the same', async () => {
      for (const key of ['b', 'B', 'a-1', 'a'])
        await pipelines.createSavedPipeline({ name: key, yaml: key, at: T1 });
      expect((await pipelines.listSavedPipelines()).map((p) => p.name)).toEqual(['B', 'a', 'a-1', 'b']);
      const other = await harness.openAnother();
      expect(await other.deleteSavedPipeline('a')).toBe(true);
      expect(await other.deleteSavedPipeline('a')).toBe(false);
      expect((await pipelines.listSavedPipelines()).map((p) => p.name)).toEqual(['B', 'a-1', 'b']);
      await other.putSavedPipeline({ name: 'b', yaml: 'changed', at: T2 });
      expect((await pipelines.getSavedPipeline('b'))?.yaml).toBe('changed');
    });
  });
}
