import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, type JobDefinition } from '../../core/jobs/job.js';
import { DATABASE_FILE } from './open-database.js';
import { describeJobStoreContract } from '../job-store-contract.js';
import { openSqliteStores, type SqliteStores } from './open-sqlite-stores.js';
import type { SqliteJobStore } from './sqlite-job-store.js';

const opened: { close(): Promise<void>; dir: string }[] = [];
afterEach(async () => {
  for (const { close, dir } of opened.splice(0)) {
    await close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

async function open(): Promise<{ store: SqliteJobStore; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-job-store-'));
  const stores = await openSqliteStores({ dataDir: dir });
  opened.push({ close: () => stores.store.close(), dir });
  return { store: stores.jobs, dir };
}

const definition = (overrides: Partial<JobDefinition> = {}): JobDefinition => ({
  name: 'backup',
  command: './backup.sh',
  argv: null,
  cwd: '/srv',
  env: {},
  tags: {},
  timeoutSeconds: null,
  enabled: true,
  triggers: [{ kind: 'interval', intervalSeconds: 60 }],
  retry: DEFAULT_RETRY,
  overlap: 'skip',
  maxConcurrentRuns: null,
  missedFire: 'skip',
  lateAfterSeconds: null,
  lateByP95: false,
  webhooks: [],
  runsOn: [],
  retryOnLost: false,
  ...overrides,
});

describeJobStoreContract('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-job-store-contract-'));
  const opened: SqliteStores[] = [await openSqliteStores({ dataDir: dir })];
  return {
    jobs: opened[0]!.jobs,
    store: opened[0]!.store,
    async openAnother() {
      const stores = await openSqliteStores({ dataDir: dir });
      opened.push(stores);
      return { jobs: stores.jobs, store: stores.store };
    },
    async cleanup() {
      for (const stores of opened) await stores.store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteJobStore reads', () => {
  it('commits only a job it can read back: one it could not is refused and leaves nothing', async () => {
    const { store } = await open();
    const huge = definition({ triggers: [{ kind: 'interval', intervalSeconds: 8e12 }] });
    await expect(store.createJob(huge)).rejects.toMatchObject({ code: 'unreadable' });
    expect(await store.listJobs()).toEqual({ jobs: [], unreadable: [] });
    const job = await store.createJob(definition());
    expect((await store.listJobs()).jobs.map((j) => j.id)).toEqual([job.id]);
  });

  it('lists the readable jobs and names a damaged one, which getJob refuses and deleteJob removes', async () => {
    const { store, dir } = await open();
    const good = await store.createJob(definition({ name: 'a-good' }));
    const bad = await store.createJob(definition({ name: 'b-bad' }));
    const db = new Database(path.join(dir, DATABASE_FILE));
    db.prepare('UPDATE jobs SET definition = ? WHERE id = ?').run('{"command":', bad.id);
    db.close();

    const list = await store.listJobs();
    expect(list.jobs.map((j) => j.id)).toEqual([good.id]);
    expect(list.unreadable).toEqual([
      { id: bad.id, name: 'b-bad', error: expect.stringMatching(/definition is not valid JSON/) },
    ]);
    await expect(store.getJob(bad.id)).rejects.toMatchObject({ code: 'unreadable' });
    // Pausing it fails and changes nothing; deleting it works.
    await expect(store.setEnabled(bad.id, false)).rejects.toMatchObject({ code: 'unreadable' });
    await store.deleteJob(bad.id);
    expect(await store.listJobs()).toEqual({
      jobs: [expect.objectContaining({ id: good.id })],
      unreadable: [],
    });
  });
});
