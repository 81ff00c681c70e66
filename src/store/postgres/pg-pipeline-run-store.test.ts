import { openPostgresBackends, usePostgres } from '../../../test/helpers/postgres.js';
import { describePipelineRunStoreContract } from '../pipeline-run-store-contract.js';

const postgres = usePostgres();

describePipelineRunStoreContract('postgres', async () => {
  const backends = await openPostgresBackends(postgres());
  return { pipelineRuns: backends.first.pipelineRuns, cleanup: backends.cleanup };
});
