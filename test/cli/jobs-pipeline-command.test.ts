import { describe, expect, it } from 'vitest';
import type { PipelineRunJson } from '../../src/protocol/pipeline-json.js';
import { call, waitFor } from '../server/execution-api-client.js';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';

const tempDir = useTempDirs();
const startServer = useTestServers();

describe('stepflow jobs add --pipeline', () => {
  it('adds a job that runs a saved pipeline, shows what it runs, runs it, and refuses an unknown one', async () => {
    const { url } = await startServer();
    const dataDir = tempDir();
    const env = { STEPFLOW_SERVER: url };
    const yaml = JSON.stringify({
      name: 'cli-nightly',
      nodes: { a: { run: 'true' }, b: { run: 'true', needs: 'a' } },
    });
    expect((await call(url, 'PUT', '/api/pipelines/cli-nightly', { yaml })).status).toBeLessThan(300);

    const add = await runCli(
      ['jobs', 'add', '--name', 'nightly-pipeline', '--every', '3600', '--pipeline', 'cli-nightly'],
      { dataDir, env },
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toContain('pipeline: cli-nightly');

    const run = await runCli(['jobs', 'run', 'nightly-pipeline'], { dataDir, env });
    expect(run.code).toBe(0);
    const id = /pipeline run ([0-9a-z]{26})/.exec(run.stdout)?.[1];
    expect(id, run.stdout).toBeDefined();
    await waitFor(
      async () =>
        (await call<PipelineRunJson>(url, 'GET', `/api/pipelines/runs/${id}`)).body.status === 'succeeded',
      'the pipeline run to succeed',
      15_000,
    );
    const show = await runCli(['jobs', 'show', 'nightly-pipeline'], { dataDir, env });
    expect(show.stdout).toContain(`started  pipeline run ${id}`);

    const unknown = await runCli(
      ['jobs', 'add', '--name', 'typo', '--every', '3600', '--pipeline', 'cli-nigthly'],
      { dataDir, env },
    );
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no saved pipeline named "cli-nigthly"');
    const both = await runCli(['jobs', 'add', '--name', 'both', '--pipeline', 'cli-nightly', '--', 'echo'], {
      dataDir,
      env,
    });
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('give no command');
  });
});
