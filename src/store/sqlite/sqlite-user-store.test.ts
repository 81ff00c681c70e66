import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeUserStoreContract } from '../user-store-contract.js';
import { openSqliteStores, type SqliteStores } from './open-sqlite-stores.js';

describeUserStoreContract('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-user-store-contract-'));
  const opened: SqliteStores[] = [await openSqliteStores({ dataDir: dir })];
  return {
    users: opened[0]!.users,
    async openAnother() {
      const stores = await openSqliteStores({ dataDir: dir });
      opened.push(stores);
      return stores.users;
    },
    async cleanup() {
      for (const stores of opened) await stores.store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
