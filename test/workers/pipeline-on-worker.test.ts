import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { PipelineRunJson } from '../../src/protocol/pipeline-json.js';
import { startCli, waitForOutput } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, getExecution, waitFor } from '../server/execution-api-client.js';

const tempDir = useTempDirs();
const startServer = useTestServers();
const workers: ChildProcess[] = [];
afterEach(async () => {
  await Promise.all(
    workers.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
});

describe('a pipeline with a node for workers', () => {
  it('runs that node on a worker with its labels, and its outputs reach the node after it', async () => {
    const server = await startServer();
    const { child } = startCli(['worker', '--server', server.url, '--name', 'gpu-1', '--labels', 'gpu'], {
      dataDir: tempDir(),
      env: { STEPFLOW_SPOOL_DIR: tempDir() },
    });
    workers.push(child);
    await waitForOutput(child, (stdout) => stdout.includes('claiming runs'), 20_000);
    const yaml = JSON.stringify({
      name: 'on-worker',
      nodes: {
        local: { run: 'echo OUTPUT:x=7' },
        remote: {
          run: 'test "$STEPFLOW_NEEDS_LOCAL_X" = 7 && echo OUTPUT:y=8',
          needs: ['local'],
          runsOn: ['gpu'],
        },
        after: { run: 'test "$STEPFLOW_NEEDS_REMOTE_Y" = 8', needs: ['remote'] },
      },
    });
    const started = await call<PipelineRunJson>(server.url, 'POST', '/api/pipelines/runs', { yaml });
    expect(started.status, started.text).toBe(201);
    const ended = await waitFor(
      async () => {
        const run = (await call<PipelineRunJson>(server.url, 'GET', `/api/pipelines/runs/${started.body.id}`))
          .body;
        return ['succeeded', 'failed', 'cancelled'].includes(run.status) ? run : undefined;
      },
      'the pipeline run to end',
      30_000,
    );
    expect(Object.fromEntries(ended.nodes.map((node) => [node.name, node.status]))).toEqual({
      local: 'succeeded',
      remote: 'succeeded',
      after: 'succeeded',
    });
    const remote = await getExecution(server.url, ended.nodes[1]!.executionId!);
    expect(remote.worker?.name).toBe('gpu-1');
    expect(remote.runsOn).toEqual(['gpu']);
  });
});
