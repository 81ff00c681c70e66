import { openPostgresBackends, usePostgres } from '../../../test/helpers/postgres.js';
import { describeProjectStoreContract } from '../project-store-contract.js';

const postgres = usePostgres();

describeProjectStoreContract('postgres', async () => {
  const backends = await openPostgresBackends(postgres());
  return {
    projects: backends.first.projects,
    openAnother: async () => (await backends.openAnother()).projects,
    cleanup: backends.cleanup,
  };
});
