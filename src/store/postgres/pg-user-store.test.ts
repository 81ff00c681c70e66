import { openPostgresBackends, usePostgres } from '../../../test/helpers/postgres.js';
import { describeUserStoreContract } from '../user-store-contract.js';

const postgres = usePostgres();

describeUserStoreContract('postgres', async () => {
  const backends = await openPostgresBackends(postgres());
  return {
    users: backends.first.users,
    openAnother: async () => (await backends.openAnother()).users,
    cleanup: backends.cleanup,
  };
});
