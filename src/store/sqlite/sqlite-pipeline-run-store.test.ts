import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describePipelineRunStoreContract } from '../pipeline-run-store-contract.js';
import { openSqliteStores } from './open-sqlite-stores.js';

describePipelineRunStoreContract('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-pipeline-run-store-'));
  const stores = await openSqliteStores({ dataDir: dir });
  return {
    pipelineRuns: stores.pipelineRuns,
    async cleanup() {
      await stores.store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
