import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeSavedPipelineStoreContract } from '../saved-pipeline-store-contract.js';
import { openSqliteStores, type SqliteStores } from './open-sqlite-stores.js';

describeSavedPipelineStoreContract('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-saved-pipelines-contract-'));
  const opened: SqliteStores[] = [await openSqliteStores({ dataDir: dir })];
  return {
    pipelines: opened[0]!.savedPipelines,
    async openAnother() {
      const stores = await openSqliteStores({ dataDir: dir });
      opened.push(stores);
      return stores.savedPipelines;
    },
    async cleanup() {
      for (const stores of opened) await stores.store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
