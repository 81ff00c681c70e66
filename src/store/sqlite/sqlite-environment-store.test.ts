import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeEnvironmentStoreContract } from '../environment-store-contract.js';
import { openSqliteStores, type SqliteStores } from './open-sqlite-stores.js';

describeEnvironmentStoreContract('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-environment-store-contract-'));
  const opened: SqliteStores[] = [await openSqliteStores({ dataDir: dir })];
  return {
    environments: opened[0]!.environments,
    async openAnother() {
      const stores = await openSqliteStores({ dataDir: dir });
      opened.push(stores);
      return stores.environments;
    },
    async cleanup() {
      for (const stores of opened) await stores.store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
