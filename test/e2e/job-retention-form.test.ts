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

describe('the job form: retention', () => {
  it("saves the job's own policy, shows the server's error at the limit, shows it on the job page, and goes back to the server's", async () => {
    const server = await startServer();
    const page = await browser.open(server.url, '/jobs/new');
    const form = page.getByRole('form', { name: 'New job' });
    await form.getByLabel('Name', { exact: true }).fill('nightly-report');
    await form.getByLabel('Command', { exact: true }).fill('./report.sh');
    await form
      .getByRole('group', { name: 'Trigger 1' })
      .getByLabel('Cron expression', { exact: true })
      .fill('0 3 * * *');
    await form.getByLabel('Old runs', { exact: true }).selectOption('own');
    const days = form.getByLabel('Delete runs after (days)', { exact: true });
    await days.fill('-3');
    await form.getByLabel('Keep last (runs)', { exact: true }).fill('5');
    const create = form.getByRole('button', { name: 'Create job' });
    await create.click();
    expect(await errorOf(page, days)).toMatch(/greater than 0/);

    await days.fill('30');
    await create.click();
    await page.waitForURL(/\/jobs\/[0-9a-z]{26}$/);
    const jobId = new URL(page.url()).pathname.split('/').at(-1) ?? '';
    await expect
      .poll(() => page.getByText(/its own: keeps runs 30 days, the last 5 runs/).count(), { timeout: 15_000 })
      .toBe(1);
    const saved = async () =>
      ((await (await fetch(`${server.url}/api/jobs/${jobId}`)).json()) as JobBody).retention;
    expect(await saved()).toEqual({ days: 30, keepLast: 5 });

    // Editing starts from what was saved; the server's policy again is null on the job.
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    const edit = page.getByRole('form', { name: 'Edit job' });
    expect(await edit.getByLabel('Keep last (runs)', { exact: true }).inputValue()).toBe('5');
    await edit.getByLabel('Old runs', { exact: true }).selectOption('global');
    await edit.getByRole('button', { name: /Save/ }).click();
    await expect.poll(() => page.getByText("the server's policy").count(), { timeout: 15_000 }).toBe(1);
    expect(await saved()).toBeNull();
  });
});
