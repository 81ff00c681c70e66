import type { Page } from 'playwright-core';
import type { ExecutionDetailBody } from '../../../src/protocol/api-schemas.js';
import type { TestServer } from '../../helpers/test-server.js';
import { runScript, waitForEnd } from './execution-kit.js';

/**
 * Realistic finished runs for the list pages, started one after the other (so their order is
 * known) through the API in `dir`: two succeeded, one failed, with steps, tags and artifacts.
 */
const SEED_SCRIPTS = {
  'train-model': {
    tags: ['env=prod', 'team=ml'],
    body: `echo "STEP_START:Prepare"
head -c 4096 /dev/urandom > model.bin
echo "STEP_COMPLETE:Prepare"
echo "STEP_START:Train"
echo "epoch 1 loss=0.42"
echo "ARTIFACT:model.bin:Trained weights"
echo "STEP_COMPLETE:Train"
printf '{"accuracy":0.93}\\n' > metrics.json
echo "ARTIFACT:metrics.json:Evaluation metrics"
`,
  },
  'nightly-backup': {
    tags: ['env=prod', 'nightly'],
    body: `echo "STEP_START:Dump"
echo "dumping database" > backup.log
echo "ARTIFACT:backup.log:Backup log"
echo "pg_dump: connection refused" >&2
exit 1
`,
  },
  数据处理: {
    tags: ['env=dev'],
    body: `echo "STEP_START:清洗数据"
printf 'id,值\\n1,42\\n' > 结果.csv
echo "ARTIFACT:结果.csv:处理后的数据"
echo "STEP_COMPLETE:清洗数据"
`,
  },
} as const;

type SeedName = keyof typeof SEED_SCRIPTS;

export async function seedExecutions(
  server: TestServer,
  dir: string,
): Promise<Record<SeedName, ExecutionDetailBody>> {
  const done: Partial<Record<SeedName, ExecutionDetailBody>> = {};
  for (const [name, { tags, body }] of Object.entries(SEED_SCRIPTS) as [
    SeedName,
    (typeof SEED_SCRIPTS)[SeedName],
  ][]) {
    const started = await runScript(server, dir, name, body, { tags });
    done[name] = await waitForEnd(server, started.id);
  }
  return done as Record<SeedName, ExecutionDetailBody>;
}

/** Names in the rows of the executions table, top to bottom. */
export async function shownExecutionNames(page: Page, tableName = 'Executions'): Promise<string[]> {
  return page.getByRole('table', { name: tableName }).locator('tbody tr td:nth-child(2)').allInnerTexts();
}
