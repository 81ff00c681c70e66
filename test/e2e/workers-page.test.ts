import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionDetailBody } from '../../src/protocol/api-schemas.js';
import { startCli, waitForOutput } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { useBrowser, saveScreenshot } from './helpers/browser.js';

// Temp dirs first: hooks run in reverse, so the servers are closed before their dirs go.
const tempDir = useTempDirs();
const startServer = useTestServers();
const browser = useBrowser();
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

describe('the Workers page', () => {
  it('lists each worker with its labels and the run it holds, and the run names its worker', async () => {
    const server = await startServer({ config: { runsLocally: false } });
    const worker = startCli(
      ['worker', '--server', server.url, '--name', 'gpu-box-1', '--labels', 'gpu,linux', '--slots', '2'],
      { dataDir: tempDir(), env: { STEPFLOW_SPOOL_DIR: tempDir() } },
    );
    workers.push(worker.child);
    await waitForOutput(worker.child, (out) => out.includes('claiming runs'), 20_000);

    const submitted = await fetch(`${server.url}/api/executions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        command: 'echo started; sleep 30',
        name: 'train',
        runsOn: ['gpu'],
        cwd: '/tmp',
      }),
    });
    const { id } = (await submitted.json()) as { id: string };

    const page = await browser.open(server.url, '/workers');
    const row = page.getByRole('row', { name: /gpu-box-1/ });
    await row.waitFor();
    expect(await row.getByRole('cell').nth(2).textContent()).toBe('gpu, linux');
    // The run shows up in its row once the worker has claimed it (the list refreshes by itself).
    await row.getByRole('link', { name: id }).waitFor({ timeout: 20_000 });
    expect(await row.getByRole('cell').nth(3).textContent()).toBe('1 / 2');
    expect(await row.getByRole('cell').nth(1).textContent()).toBe('live');
    await saveScreenshot(page, 'workers');

    await row.getByRole('link', { name: id }).click();
    await page.getByRole('heading', { name: 'train' }).waitFor();
    const fact = page.locator('.fact', { hasText: 'Worker' }).locator('dd');
    expect(await fact.textContent()).toBe('gpu-box-1 · attempt 1');
    const detail = (await (await fetch(`${server.url}/api/executions/${id}`)).json()) as ExecutionDetailBody;
    expect(detail.worker).toEqual({ name: 'gpu-box-1', attempt: 1 });
  });

  it('says why a run waits when no live worker has its labels', async () => {
    const server = await startServer({ config: { runsLocally: false } });
    const submitted = await fetch(`${server.url}/api/executions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'nvidia-smi', name: 'needs a gpu', runsOn: ['gpu'], cwd: '/tmp' }),
    });
    const { id } = (await submitted.json()) as { id: string };
    const page = await browser.open(server.url, `/executions/${id}`);
    await page.getByRole('heading', { name: 'needs a gpu' }).waitFor();
    const waiting = page.locator('.fact', { hasText: 'Waiting' }).locator('dd');
    await expect.poll(() => waiting.textContent()).toContain('gpu');
    expect(await page.locator('.fact', { hasText: 'Runs on' }).locator('dd').textContent()).toBe('gpu');
    const empty = await browser.open(server.url, '/workers');
    await empty.getByText('No workers yet.', { exact: false }).waitFor();
  });
});
