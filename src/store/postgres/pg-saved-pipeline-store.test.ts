import pg from 'pg';
import { usePostgres } from '../../../test/helpers/postgres.js';
import type { StoreBackend } from '../store-backend.js';
import { describeSavedPipelineStoreContract } from '../saved-pipeline-store-contract.js';
import { openPostgresStores } from './open-postgres-stores.js';

const postgres = usePostgres();

describeSavedPipelineStoreContract('postgres', async () => {
  const url = await postgres().createDatabase();
  const opened: StoreBackend[] = [await openPostgresStores({ url, poolSize: 2 })];
  return {
    pipelines: opened[0]!.savedPipelines,
    async openAnother() {
      const stores = await openPostgresStores({ url, poolSize: 2 });
      opened.push(stores);
      return stores.savedPipelines;
    },
    async cleanup() {
      for (const stores of opened) await stores.store.close();
      const admin = new pg.Client({ connectionString: postgres().url });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE ${new URL(url).pathname.slice(1)}`);
      } finally {
        await admin.end();
      }
    },
  };
});
