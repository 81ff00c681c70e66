import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { usePostgres } from '../../../test/helpers/postgres.js';
import type { WorkerIdentity } from '../../core/workers.js';
import { openSqliteStores } from '../sqlite/open-sqlite-stores.js';
import type { StoreBackend } from '../store-backend.js';
import { describeWorkerStoreContract } from '../worker-store-contract.js';
import { openPostgresStores } from './open-postgres-stores.js';

const postgres = usePostgres();

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh database; `open()` opens the backend on it as one more process would (its own pool). */
async function freshDatabase(): Promise<{ open(poolSize?: number): Promise<StoreBackend> }> {
  const url = await postgres().createDatabase();
  const opened: StoreBackend[] = [];
  cleanups.push(async () => {
    for (const stores of opened.splice(0)) await stores.store.close();
    const admin = new pg.Client({ connectionString: postgres().url });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE ${new URL(url).pathname.slice(1)}`);
    } finally {
      await admin.end();
    }
  });
  return {
    async open(poolSize = 4) {
      const stores = await openPostgresStores({ url, poolSize });
      opened.push(stores);
      return stores;
    },
  };
}

describeWorkerStoreContract('postgres', async () => {
  const database = await freshDatabase();
  const { store, workers } = await database.open();
  return {
    store,
    workers,
    openAnother: () => database.open(),
    // afterEach above drops the database.
    cleanup: async () => undefined,
  };
});

const worker = (name: string, labels: string[] = []): WorkerIdentity => ({
  name,
  host: 'host-a',
  labels,
  slots: 1,
  version: '1.2.3',
});

describe('PostgresWorkerStore across processes', () => {
  it('gives 50 runs to 50 claims racing from two pools: each claimed once, none left waiting', async () => {
    const database = await freshDatabase();
    const a = await database.open(10);
    const b = await database.open(10);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const run = await a.store.createExecution({
        spec: { name: `run-${i}`, command: 'true', cwd: '/' },
        status: 'queued',
        owner: null,
        runsOn: [],
      });
      ids.push(run.id);
    }
    // 50 workers at once, half on each pool: a claim must never take a run another claim holds, and
    // must not come back empty because it stumbled on a run being taken while others were free.
    const at = new Date().toISOString();
    const claims = await Promise.all(
      ids.map((_, i) => (i % 2 === 0 ? a : b).workers.claimExecution(worker(`w${i}`), at)),
    );
    const claimed = claims.map((claim) => claim?.execution.id);
    expect(claimed.filter((id) => id === undefined)).toHaveLength(0);
    expect([...claimed].sort()).toEqual([...ids].sort());
    const listed = await b.workers.listWorkers();
    expect(listed.flatMap((w) => w.running.map((r) => r.executionId)).sort()).toEqual([...ids].sort());
    expect(await a.workers.claimExecution(worker('late'), at)).toBeUndefined();
  });

  it('reads a claimed and a lost run back as the same objects as SQLite does', async () => {
    const database = await freshDatabase();
    const onPostgres = await database.open();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-pg-worker-same-'));
    const onSqlite = await openSqliteStores({ dataDir: dir });
    cleanups.push(async () => {
      await onSqlite.store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const T0 = '2030-01-01T00:00:00.000Z';
    const objects = async (stores: StoreBackend): Promise<unknown[]> => {
      const run = await stores.store.createExecution({
        spec: { name: 'gpu-job', command: 'nvidia-smi', cwd: '/srv', tags: { team: 'ml' } },
        createdAt: T0,
        runsOn: ['gpu', 'linux'],
      });
      const claimed = await stores.workers.claimExecution(worker('w1', ['gpu', 'linux', 'x86']), T0);
      const lost = await stores.workers.expireClaims(
        '2030-01-01T00:01:00.000Z',
        30_000,
        '2030-01-01T00:01:00.000Z',
      );
      const read = await stores.store.getExecution(run.id);
      const listed = await stores.store.listExecutions({ status: ['lost'] });
      // Ids come from each store's own factory: everything else must be equal.
      return [run, claimed, lost, read, listed.items].map((value) =>
        JSON.parse(JSON.stringify(value).replaceAll(run.id, '<id>')),
      );
    };
    const [pgObjects, sqliteObjects] = [await objects(onPostgres), await objects(onSqlite)];
    expect(pgObjects).toEqual(sqliteObjects);
    expect(pgObjects[3]).toMatchObject({
      status: 'lost',
      runsOn: ['gpu', 'linux'],
      worker: { name: 'w1', attempt: 1 },
    });
  });
});
