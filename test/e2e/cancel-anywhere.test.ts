import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ExecutionPageBody } from '../../src/protocol/api-schemas.js';
import { isAlive } from '../helpers/processes.js';
import { startCli, waitForOutput } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { getExecution } from './helpers/execution-kit.js';
import { useBrowser } from './helpers/browser.js';

// Temp dirs first: hooks run in reverse, so the servers are closed before their dirs go.
const tempDir = useTempDirs();
const startServer = useTestServers();
const browser = useBrowser();

describe('cancel from the dashboard', () => {
  it('cancels a `stepflow run` of another process with the Cancel button: the CLI exits 130', async () => {
    const dataDir = tempDir();
    const server = await startServer({ dataDir });
    const pidFile = path.join(tempDir(), 'child.pid');
    const cli = startCli(
      ['run', '--name', 'terminal run', '--', `sleep 60 & echo $! > ${pidFile}; echo ready; wait`],
      { dataDir, env: { STEPFLOW_KILL_GRACE_MS: '500' } },
    );
    await waitForOutput(cli.child, (out) => out.includes('ready'));
    let id = '';
    for (let i = 0; i < 200 && id === ''; i++) {
      const page = (await (
        await fetch(`${server.url}/api/executions?status=running`)
      ).json()) as ExecutionPageBody;
      id = page.items[0]?.id ?? '';
      if (id === '') await sleep(50);
    }
    const child = Number(fs.readFileSync(pidFile, 'utf8'));

    const page = await browser.open(server.url, `/executions/${id}`);
    await page.getByRole('heading', { name: 'terminal run' }).waitFor();
    await page.locator('.execution-header .status[data-status="running"]').waitFor();
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    // Generous: it timed out at 15 s once, on a machine at a load of 8.
    await page.getByRole('button', { name: 'Cancelling…' }).waitFor({ timeout: 30_000 });

    const run = await cli.result;
    expect(run.code).toBe(130);
    expect(await getExecution(server, id)).toMatchObject({ status: 'cancelled' });
    expect(isAlive(child)).toBe(false);
    expect(await page.getByRole('alert').count()).toBe(0);
    // The page shows how it ended. Opened afresh: following another process's run live is not
    // this test's job (a reload would do, were a revalidated page not given the API's CSP: a bug of its own).
    const after = await browser.open(server.url, `/executions/${id}`);
    await after.locator('.execution-header .status[data-status="cancelled"]').waitFor();
    expect(await after.locator('.execution-error').textContent()).toBe(
      'Cancelled: requested from another process (the dashboard, the API or stepflow cancel); ' +
        'the process tree was stopped.',
    );
    expect(await after.getByRole('button', { name: 'Cancel', exact: true }).count()).toBe(0);
    // Its own waits allow 30 s for the cancel on a loaded machine: the test may take longer than that.
  }, 60_000);
});
