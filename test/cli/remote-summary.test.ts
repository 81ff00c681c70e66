import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const tempDir = useTempDirs();
const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  return (await response.json()) as T;
}

describe('stepflow run --server: step summaries and outputs', () => {
  it("reaches the server: the run's and each step's summary, and the outputs", async () => {
    const server = await startTestServer();
    servers.push(server);
    const work = tempDir();
    const run = await runCli(
      [
        'run',
        '--name',
        'remote summary',
        '--server',
        server.url,
        '--',
        path.join(ROOT, 'test/fixtures/server/step-summaries.sh'),
      ],
      { dataDir: path.join(work, 'unused-data'), cwd: work, env: { STEPFLOW_SPOOL_DIR: tempDir() } },
    );
    expect(run.code).toBe(0);
    const id = /([0-9a-hjkmnp-tv-z]{26}) · report/.exec(run.stdout)?.[1] ?? '';
    expect(fs.existsSync(path.join(work, 'unused-data'))).toBe(false);

    const shown = await getJson<{
      hasSummary: boolean;
      outputs: Record<string, string>;
      steps: { id: number; name: string; hasSummary: boolean }[];
    }>(`${server.url}/api/executions/${id}`);
    expect(shown.hasSummary).toBe(true);
    expect(shown.outputs).toEqual({
      version: '1.2.3',
      notes: 'first line\nsecond line',
      legacy: 'from set-output',
    });
    expect(shown.steps.map((step) => [step.name, step.hasSummary])).toEqual([
      ['Set up', false],
      ['Build', true],
      ['Test', true],
    ]);
    const summary = await getJson<{ summary: string; steps: { stepId: number; summary: string }[] }>(
      `${server.url}/api/executions/${id}/summary`,
    );
    expect(summary.summary).toBe('## Build ok\n| suite | passed |\n|---|---|\n| unit | 42 |\n');
    expect(summary.steps.map((step) => step.summary)).toEqual([
      '## Build ok\n',
      '| suite | passed |\n|---|---|\n| unit | 42 |\n',
    ]);
  });
});
