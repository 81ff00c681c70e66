import { usePostgres } from '../../../test/helpers/postgres.js';
import { describeSecretDocumentsContract } from '../secret-documents-contract.js';
import { openPostgresStores } from './open-postgres-stores.js';

const postgres = usePostgres();

describeSecretDocumentsContract('postgres', async () => {
  const backend = await openPostgresStores({ url: await postgres().createDatabase(), poolSize: 2 });
  return { backend, cleanup: () => backend.store.close() };
});
