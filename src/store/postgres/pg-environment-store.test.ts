import { openPostgresBackends, usePostgres } from '../../../test/helpers/postgres.js';
import { describeEnvironmentStoreContract } from '../environment-store-contract.js';

const postgres = usePostgres();

describeEnvironmentStoreContract('postgres', async () => {
  const backends = await openPostgresBackends(postgres());
  return {
    environments: backends.first.environments,
    openAnother: async () => (await backends.openAnother()).environments,
    cleanup: backends.cleanup,
  };
});
