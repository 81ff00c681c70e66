import { openPostgresBackends, usePostgres } from '../../../test/helpers/postgres.js';
import { describeSavedPipelineStoreContract } from '../saved-pipeline-store-contract.js';

const postgres = usePostgres();

describeSavedPipelineStoreContract('postgres', async () => {
  const backends = await openPostgresBackends(postgres());
  return {
    pipelines: backends.first.savedPipelines,
    openAnother: async () => (await backends.openAnother()).savedPipelines,
    cleanup: backends.cleanup,
  };
});
