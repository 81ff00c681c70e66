import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeSecretDocumentsContract } from '../secret-documents-contract.js';
import { openSqliteStores } from './open-sqlite-stores.js';

describeSecretDocumentsContract('sqlite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-secret-documents-'));
  const backend = await openSqliteStores({ dataDir: dir });
  return {
    backend,
    async cleanup() {
      await backend.store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
