import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeWorkerStoreContract } from '../worker-store-contract.js';
import { openSqliteStores, type SqliteStores } from './open-sqlite-stores.js';

describeWorkerStoreContract('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-worker-store-contract-'));
  const opened: SqliteStores[] = [await openSqliteStores({ dataDir: dir })];
  return {
    store: opened[0]!.store,
    workers: opened[0]!.workers,
    async openAnother() {
      const stores = await openSqliteStores({ dataDir: dir });
      opened.push(stores);
      return { store: stores.store, workers: stores.workers };
    },
    async cleanup() {
      for (const stores of opened) await stores.store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
