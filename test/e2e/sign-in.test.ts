import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { saveScreenshot, useBrowser } from './helpers/browser.js';

// Temp dirs first: hooks run in reverse, so the servers are closed before their dirs go.
const tempDir = useTempDirs();
const startServer = useTestServers();
const browser = useBrowser();
const PASSWORD = 'correct horse battery';

async function signIn(page: Page, name: string): Promise<void> {
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByLabel('User name').fill(name);
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Signed in as').waitFor();
}

describe('signing in to the dashboard (a server with users)', () => {
  it('a viewer sees the runs without Run, Cancel or Re-run; an operator starts a run; signing out asks again', async () => {
    const server = await startServer();
    await server.stepflow.app.users.add({ name: 'vera', role: 'viewer', password: PASSWORD });
    await server.stepflow.app.users.add({ name: 'otto', role: 'operator', password: PASSWORD });
    const running = await server.stepflow.app.executions.submit({
      name: 'nightly-backup',
      command: 'echo started; sleep 30',
      cwd: tempDir(),
    });

    const viewer = await browser.open(server.url, '/');
    await viewer.getByRole('form', { name: 'Sign in' }).waitFor();
    // A wrong password says so and stays on the form.
    await viewer.getByLabel('User name').fill('vera');
    await viewer.getByLabel('Password').fill('not the password');
    await viewer.getByRole('button', { name: 'Sign in' }).click();
    expect(await viewer.getByRole('alert').innerText()).toBe('wrong user name or password');
    await saveScreenshot(viewer, 'sign-in');
    await signIn(viewer, 'vera');
    expect(await viewer.getByLabel('Signed in as').innerText()).toBe('vera (viewer)');
    await viewer.getByRole('link', { name: 'nightly-backup' }).first().waitFor();
    expect(await viewer.getByRole('link', { name: 'New execution' }).count()).toBe(0);
    await viewer.goto(`${server.url}/executions/${running.id}`);
    await viewer.getByRole('heading', { name: 'nightly-backup' }).waitFor();
    await viewer.locator('.execution-header .status[data-status="running"]').waitFor();
    expect(await viewer.getByRole('button', { name: 'Cancel', exact: true }).count()).toBe(0);
    expect(await viewer.getByRole('button', { name: 'Re-run' }).count()).toBe(0);

    const operator = await browser.open(server.url, `/executions/${running.id}`);
    await signIn(operator, 'otto');
    await operator.getByRole('button', { name: 'Cancel', exact: true }).waitFor();
    await operator.getByRole('link', { name: 'New execution' }).click();
    const form = operator.getByRole('form', { name: 'New execution' });
    await form.getByLabel('Command', { exact: true }).fill('echo from-the-operator');
    await form.getByLabel('Name', { exact: true }).fill('operator-run');
    await form.getByLabel('Working directory', { exact: true }).fill(tempDir());
    await operator.getByRole('button', { name: 'Start execution' }).click();
    await operator.waitForURL(/\/executions\/[0-9a-z]{26}$/);
    await operator.getByRole('heading', { name: 'operator-run' }).waitFor();
    const runs = await server.stepflow.app.executions.reads.listExecutions({ limit: 10 });
    expect(runs.items.map((run) => run.name).sort()).toEqual(['nightly-backup', 'operator-run']);

    await operator.getByRole('button', { name: 'Sign out' }).click();
    await operator.getByRole('form', { name: 'Sign in' }).waitFor();
    await server.stepflow.app.executions.cancel(running.id);
  });
});
