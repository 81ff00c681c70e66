import pg from 'pg';
import { usePostgres } from '../../../test/helpers/postgres.js';
import type { StoreBackend } from '../store-backend.js';
import { describeProjectStoreContract } from '../project-store-contract.js';
import { openPostgresStores } from './open-postgres-stores.js';

const postgres = usePostgres();

describeProjectStoreContract('postgres', async () => {
  const url = await postgres().createDatabase();
  const opened: StoreBackend[] = [await openPostgresStores({ url, poolSize: 2 })];
  return {
    projects: opened[0]!.projects,
    async openAnother() {
      const stores = await openPostgresStores({ url, poolSize: 2 });
      opened.push(stores);
      return stores.projects;
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
