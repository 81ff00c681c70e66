import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStepflowError } from '../core/errors.js';
import type { NewProjectVersion, ProjectStore } from './project-store.js';

/** Fresh storage for one test, and a second connection to the same database. */
export interface ProjectStoreHarness {
  projects: ProjectStore;
  /** Another process's view of the same database. */
  openAnother(): Promise<ProjectStore>;
  cleanup(): Promise<void>;
}

const at = (seconds: number): string => new Date(Date.UTC(2030, 0, 1) + seconds * 1000).toISOString();

const version = (overrides: Partial<NewProjectVersion> = {}): NewProjectVersion => ({
  createdAt: at(0),
  createdBy: 'alice',
  source: 'upload',
  note: null,
  files: 2,
  bytes: 10,
  ...overrides,
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isStepflowError(error) ? error.code : String(error);
  }
  return 'no error';
}

/**
 * The {@link ProjectStore} contract, run against every backend (`sqlite/sqlite-project-store.test.ts`,
 * `postgres/pg-project-store.test.ts`): unique names, version numbers never reused, keep-N that
 * never drops the current version, rollback, delete, and what another connection sees.
 */
export function describeProjectStoreContract(name: string, open: () => Promise<ProjectStoreHarness>): void {
  describe(`ProjectStore contract (${name})`, () => {
    let harness: ProjectStoreHarness;
    let projects: ProjectStore;
    beforeEach(async () => {
      harness = await open();
      ({ projects } = harness);
    });
    afterEach(async () => harness.cleanup());

    it('creates with version 1 current, finds by name, lists by name; a name in use is a conflict', async () => {
      expect(await projects.listProjects()).toEqual([]);
      const web = await projects.createProject({ id: 'p2', name: 'web' }, version({ source: 'empty' }));
      expect(web).toEqual({ id: 'p2', name: 'web', currentVersion: 1, createdAt: at(0), updatedAt: at(0) });
      await projects.createProject({ id: 'p1', name: 'api' }, version({ createdAt: at(1) }));
      expect((await projects.listProjects()).map((p) => p.name)).toEqual(['api', 'web']);
      expect(await projects.findProject('web')).toEqual(web);
      expect(await projects.findProject('nope')).toBeNull();
      expect(await codeOf(projects.createProject({ id: 'p3', name: 'web' }, version()))).toBe('conflict');
      expect(await projects.listVersions('p2')).toEqual([
        {
          version: 1,
          createdAt: at(0),
          createdBy: 'alice',
          source: 'empty',
          note: null,
          files: 2,
          bytes: 10,
        },
      ]);
    });

    it('numbers versions upwards, keeps the newest `keep`, never reuses a number', async () => {
      await projects.createProject({ id: 'p1', name: 'site' }, version());
      const dropped: number[] = [];
      for (let i = 2; i <= 5; i++) {
        const added = await projects.addVersion(
          'p1',
          version({ createdAt: at(i), source: 'edit', note: `edit ${i}`, createdBy: null }),
          3,
        );
        expect(added.version.version).toBe(i);
        expect(added.version.note).toBe(`edit ${i}`);
        dropped.push(...added.dropped);
      }
      expect(dropped).toEqual([1, 2]);
      expect((await projects.listVersions('p1')).map((v) => v.version)).toEqual([5, 4, 3]);
      const project = await projects.findProject('site');
      expect(project).toMatchObject({ currentVersion: 5, updatedAt: at(5) });
      expect(await codeOf(projects.addVersion('nope', version(), 3))).toBe('not_found');
    });

    it('rolls back to a kept version, which keep-N then never drops; the next version still counts up', async () => {
      await projects.createProject({ id: 'p1', name: 'site' }, version());
      await projects.addVersion('p1', version(), 2);
      await projects.addVersion('p1', version(), 2);
      expect(await codeOf(projects.setCurrentVersion('p1', 1, at(9)))).toBe('not_found');
      expect(await projects.setCurrentVersion('p1', 2, at(9))).toMatchObject({
        currentVersion: 2,
        updatedAt: at(9),
      });
      const added = await projects.addVersion('p1', version(), 1);
      // Keep 1: the newest (4) stays, and 3 goes; 2 was current until now and goes too.
      expect(added.version.version).toBe(4);
      expect(added.dropped.sort()).toEqual([2, 3]);
      await projects.setCurrentVersion('p1', 4, at(10));
      expect((await projects.listVersions('p1')).map((v) => v.version)).toEqual([4]);
    });

    it('deletes a project and its versions; the name is free again; another connection sees it all', async () => {
      await projects.createProject({ id: 'p1', name: 'site' }, version());
      const other = await harness.openAnother();
      expect((await other.findProject('site'))?.id).toBe('p1');
      expect(await projects.deleteProject('p1')).toBe(true);
      expect(await projects.deleteProject('p1')).toBe(false);
      expect(await other.findProject('site')).toBeNull();
      expect(await other.listVersions('p1')).toEqual([]);
      await other.createProject({ id: 'p9', name: 'site' }, version());
      expect((await projects.findProject('site'))?.currentVersion).toBe(1);
    });
  });
}
