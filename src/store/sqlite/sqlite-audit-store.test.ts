import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeAuditStoreContract } from '../audit-store-contract.js';
import { openSqliteStores, type SqliteStores } from './open-sqlite-stores.js';

describeAuditStoreContract('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-audit-store-contract-'));
  const opened: SqliteStores[] = [await openSqliteStores({ dataDir: dir })];
  return {
    audit: opened[0]!.audit,
    async openAnother() {
      const stores = await openSqliteStores({ dataDir: dir });
      opened.push(stores);
      return stores.audit;
    },
    async cleanup() {
      for (const stores of opened) await stores.store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
