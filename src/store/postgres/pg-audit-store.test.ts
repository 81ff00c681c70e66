import pg from 'pg';
import { usePostgres } from '../../../test/helpers/postgres.js';
import type { StoreBackend } from '../store-backend.js';
import { describeAuditStoreContract } from '../audit-store-contract.js';
import { openPostgresStores } from './open-postgres-stores.js';

const postgres = usePostgres();

describeAuditStoreContract('postgres', async () => {
  const url = await postgres().createDatabase();
  const opened: StoreBackend[] = [await openPostgresStores({ url, poolSize: 2 })];
  return {
    audit: opened[0]!.audit,
    async openAnother() {
      const stores = await openPostgresStores({ url, poolSize: 2 });
      opened.push(stores);
      return stores.audit;
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
