import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import type { JobBody } from '../../src/protocol/job-schemas.js';
import { useTestServers } from '../helpers/test-server.js';
import { useBrowser } from './helpers/browser.js';

const startServer = useTestServers();
const browser = useBrowser();

/** The error a field points at with aria-describedby (what a screen reader reads with it). */
async function errorOf(page: Page, input: Locator): Promise<string> {
  await expect.poll(() => input.getAttribute('aria-invalid'), { timeout: 15_000 }).toBe('true');
  const ids = (await input.getAttribute('aria-describedby')) ?? '';
  const errorId = ids.split(' ').find((id) => id.endsWith('-error'));
  return page.locator(`[id="${errorId}"]`).innerText();
}

describe('the job form: workers', () => {
  it('saves runsOn and retryOnLost from the form, shows the server’s errors at the labels and the directory, and both on the job page', async () => {
    const server = await startServer();
    const page = await browser.open(server.url, '/jobs/new');
    const form = page.getByRole('form', { name: 'New job' });
    await form.getByLabel('Name', { exact: true }).fill('train-on-gpu');
    await form.getByLabel('Command', { exact: true }).fill('./train.sh');
    const trigger = form.getByRole('group', { name: 'Trigger 1' });
    await trigger.getByLabel('Time zone', { exact: true }).fill('UTC');
    await trigger.getByLabel('Cron expression', { exact: true }).fill('0 3 * * *');
    const cwd = form.getByLabel('Working directory', { exact: true });
    const runsOn = form.getByLabel('Runs on (labels)', { exact: true });
    await cwd.fill('relative/dir');
    await runsOn.fill('gpu, has space');
    const create = form.getByRole('button', { name: 'Create job' });
    await create.click();
    expect(await errorOf(page, runsOn)).toMatch(/"has space" is not a label/);

    await runsOn.fill('linux, gpu');
    await create.click();
    expect(await errorOf(page, cwd)).toMatch(/^Must be an absolute path/);

    // A directory of the worker's host: the server does not look for it here.
    await cwd.fill('/srv/only-on-the-worker');
    await form.getByLabel(/lost with its worker/).check();
    await create.click();
    await page.waitForURL(/\/jobs\/[0-9a-z]{26}$/);
    const jobId = new URL(page.url()).pathname.split('/').at(-1) ?? '';
    await expect
      .poll(() => page.getByTestId('job-runs-on').innerText(), { timeout: 15_000 })
      .toBe('workers with gpu, linux');
    expect(await page.getByText(/a lost run starts again once/).count()).toBe(1);
    const saved = (await (await fetch(`${server.url}/api/jobs/${jobId}`)).json()) as JobBody;
    expect(saved).toMatchObject({
      runsOn: ['gpu', 'linux'],
      retryOnLost: true,
      cwd: '/srv/only-on-the-worker',
    });

    // Editing starts from what was saved.
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    const edit = page.getByRole('form', { name: 'Edit job' });
    expect(await edit.getByLabel('Runs on (labels)', { exact: true }).inputValue()).toBe('gpu, linux');
    expect(await edit.getByLabel(/lost with its worker/).isChecked()).toBe(true);
  });
});
