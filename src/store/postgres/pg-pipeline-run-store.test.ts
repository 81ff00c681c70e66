import pg from 'pg';
import { usePostgres } from '../../../test/helpers/postgres.js';
import { describePipelineRunStoreContract } from '../pipeline-run-store-contract.js';
import { openPostgresStores } from './open-postgres-stores.js';

const postgres = usePostgres();

describePipelineRunStoreContract('postgres', async () => {
  const url = await postgres().createDatabase();
  const stores = await openPostgresStores({ url, poolSize: 2 });
  return {
    pipelineRuns: stores.pipelineRuns,
    async cleanup() {
      await stores.store.close();
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
