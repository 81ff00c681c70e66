import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { useBrowser } from './helpers/browser.js';
import { eventually, openGate } from './helpers/execution-kit.js';

const startServer = useTestServers();
const browser = useBrowser();
const tempDir = useTempDirs();

/** Every node's status as the graph shows it, by node name. */
function graphStatuses(page: Page): Promise<Record<string, string>> {
  return page
    .locator('.pipeline-graph .pipeline-node')
    .evaluateAll((nodes) =>
      Object.fromEntries(
        nodes.map((node) => [node.getAttribute('data-node'), node.getAttribute('data-status')]),
      ),
    );
}

// The example, with stub scripts that each wait for the test to let them end (no gpu
// worker here, so train has no runsOn).
const PIPELINE = `name: nightly-train
env: { DATASET: s3://bucket/day }
warnings: { warnAfter: 0.5, criticalAfter: 600 }
nodes:
  fetch:    { run: bash ./node.sh fetch }
  prep-a:   { run: bash ./node.sh prep-a, needs: [fetch] }
  prep-b:   { run: bash ./node.sh prep-b, needs: [fetch], retry: { max: 2 } }
  train:    { run: bash ./node.sh train, needs: [prep-a, prep-b], timeout: 3600 }
  report:   { run: bash ./node.sh report, needs: [train], if: always }
`;

describe('the pipeline run page', () => {
  it('lights the graph up live as nodes start and end, in parallel where they can, marks a node past its warning threshold, and opens a node', async () => {
    const server = await startServer();
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, 'node.sh'),
      `echo "STEP_START:$1"\nwhile [ ! -e "$1.gate" ]; do sleep 0.05; done\necho "$1 done with $DATASET"\necho "STEP_COMPLETE:$1"\n`,
    );
    const response = await fetch(`${server.url}/api/pipelines/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ yaml: PIPELINE.replace('nodes:', `cwd: ${JSON.stringify(dir)}\nnodes:`) }),
    });
    expect(response.status).toBe(201);
    const run = (await response.json()) as { id: string };
    const page = await browser.open(server.url, `/pipelines/runs/${run.id}`);
    await page.getByRole('group', { name: 'Pipeline graph' }).waitFor();

    await eventually(async () =>
      expect(await graphStatuses(page)).toEqual({
        fetch: 'running',
        'prep-a': 'waiting',
        'prep-b': 'waiting',
        train: 'waiting',
        report: 'waiting',
      }),
    );
    openGate(dir, 'fetch');
    // Both branches run at once once fetch has succeeded; the join waits for both.
    await eventually(async () =>
      expect(await graphStatuses(page)).toMatchObject({
        fetch: 'succeeded',
        'prep-a': 'running',
        'prep-b': 'running',
        train: 'waiting',
      }),
    );
    openGate(dir, 'prep-a');
    await eventually(async () =>
      expect(await graphStatuses(page)).toMatchObject({
        'prep-a': 'succeeded',
        'prep-b': 'running',
        train: 'waiting',
      }),
    );
    openGate(dir, 'prep-b');
    await eventually(async () => expect(await graphStatuses(page)).toMatchObject({ train: 'running' }));
    // Past the pipeline's warning threshold (0.5 s here; 5 s by default) the running node is marked.
    const train = page.locator('.pipeline-node[data-node="train"]');
    await page.locator('.pipeline-node[data-node="train"][data-warning="warning"]').waitFor();
    expect(await train.getAttribute('title')).toMatch(
      /^train: running \S+: past the warning threshold of 500 ?ms$/,
    );
    openGate(dir, 'train');
    openGate(dir, 'report');
    await eventually(async () =>
      expect(await graphStatuses(page)).toEqual({
        fetch: 'succeeded',
        'prep-a': 'succeeded',
        'prep-b': 'succeeded',
        train: 'succeeded',
        report: 'succeeded',
      }),
    );
    await page.locator('.page-header .status[data-status="succeeded"]').waitFor();
    await page.getByText('5 of 5 nodes done').waitFor();

    // A node opens its execution: its own steps and log.
    await page.locator('.pipeline-node[data-node="train"]').click();
    await page.waitForURL(/\/executions\//);
    await page.getByText('train done with s3://bucket/day').waitFor();
  }, 60_000);
});
