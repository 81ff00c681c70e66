import { openPostgresBackends, usePostgres } from '../../../test/helpers/postgres.js';
import { describeAuditStoreContract } from '../audit-store-contract.js';

const postgres = usePostgres();

describeAuditStoreContract('postgres', async () => {
  const backends = await openPostgresBackends(postgres());
  return {
    audit: backends.first.audit,
    openAnother: async () => (await backends.openAnother()).audit,
    cleanup: backends.cleanup,
  };
});
