import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startCli, waitForOutput } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, startExecution, waitForStatus } from '../server/execution-api-client.js';

/**
 * A worker holds no database: it gets the global variables and the Python environment with the run
 * it claims, and builds its own copy under its own data dir (docs/WORKSPACE-ENVIRONMENTS.md).
 */
const tempDir = useTempDirs();
const startServer = useTestServers();
let worker: ChildProcess | undefined;
afterAll(() => {
  worker?.kill('SIGKILL');
});

it('a worker runs a claimed run in its own copy of the environment, with the global variables, secret ones masked', async () => {
  const server = await startServer({ config: { runsLocally: false } });
  await server.stepflow.app.environments.updateSettings({
    env: { SF_GLOBAL: 'from-settings' },
    secretEnv: { SF_TOKEN: 'wk-Secret-5cZq8' },
  });
  await server.stepflow.app.environments.add('plain', {});
  const workerDataDir = tempDir();
  const started = startCli(['worker', '--server', server.url, '--name', 'w-env'], {
    dataDir: workerDataDir,
    env: { STEPFLOW_SPOOL_DIR: tempDir() },
  });
  worker = started.child;
  await waitForOutput(worker, (stdout) => stdout.includes('claiming runs'), 20_000);

  const run = await startExecution(server.url, {
    command: 'echo "venv=$VIRTUAL_ENV global=$SF_GLOBAL token=$SF_TOKEN"; printf %s "$SF_TOKEN" | sha256sum',
    cwd: tempDir(),
    environment: 'plain',
  });
  const done = await waitForStatus(server.url, run.id, ['succeeded', 'failed', 'lost'], 90_000);
  const log = (
    await call<{ lines: { text: string }[] }>(server.url, 'GET', `/api/executions/${run.id}/logs?limit=1000`)
  ).body.lines
    .map((line) => line.text)
    .join('\n');
  expect(done.status, log).toBe('succeeded');
  expect(done.worker?.name).toBe('w-env');
  expect(log).toMatch(
    new RegExp(`venv=${path.join(workerDataDir, 'envs')}/[0-9a-f]+ global=from-settings token=\\*\\*\\*`),
  );
  // The worker got the value with its claim (its hash) and masked it (the line above).
  expect(log).toContain(createHash('sha256').update('wk-Secret-5cZq8').digest('hex'));
  expect(log).not.toContain('wk-Secret-5cZq8');
  expect(done.steps.map((step) => [step.name, step.status])).toContainEqual([
    'environment plain',
    'succeeded',
  ]);
}, 120_000);
