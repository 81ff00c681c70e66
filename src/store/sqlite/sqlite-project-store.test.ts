import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeProjectStoreContract } from '../project-store-contract.js';
import { openSqliteStores, type SqliteStores } from './open-sqlite-stores.js';

describeProjectStoreContract('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-project-store-contract-'));
  const opened: SqliteStores[] = [await openSqliteStores({ dataDir: dir })];
  return {
    projects: opened[0]!.projects,
    async openAnother() {
      const stores = await openSqliteStores({ dataDir: dir });
      opened.push(stores);
      return stores.projects;
    },
    async cleanup() {
      for (const stores of opened) await stores.store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
