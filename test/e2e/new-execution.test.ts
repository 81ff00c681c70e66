import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { saveScreenshot, useBrowser } from './helpers/browser.js';
import { eventually, getExecution, waitForEnd } from './helpers/execution-kit.js';

const startServer = useTestServers();
const browser = useBrowser();
const tempDir = useTempDirs();

const form = (page: Page) => page.getByRole('form', { name: 'New execution' });
const field = (page: Page, label: string) => form(page).getByLabel(label, { exact: true });

/** The text of the error a field points at with aria-describedby (what a screen reader reads with it). */
async function errorOf(page: Page, label: string): Promise<string> {
  const input = field(page, label);
  await page.waitForFunction(
    (element) => element?.getAttribute('aria-invalid') === 'true',
    await input.elementHandle(),
  );
  const ids = (await input.getAttribute('aria-describedby')) ?? '';
  const errorId = ids.split(' ').find((id) => id.endsWith('-error'));
  return page.locator(`[id="${errorId}"]`).innerText();
}

describe('the new execution page', () => {
  it('shows the server’s error next to the field it names: a working directory that does not exist, a bad timeout', async () => {
    const server = await startServer();
    const page = await browser.open(server.url, '/new');
    await field(page, 'Command').fill('echo "STEP_START:训练"; echo hi');
    await field(page, 'Name').fill('train-model');
    await field(page, 'Tags').fill('env=prod, nightly');
    await field(page, 'Working directory').fill('/definitely/not/here');
    await page.getByRole('button', { name: 'Start execution' }).click();

    expect(await errorOf(page, 'Working directory')).toContain('no such file or directory');
    expect(await errorOf(page, 'Working directory')).toContain('/definitely/not/here');
    // Only that field is marked, and nothing is shown above the form.
    expect(await field(page, 'Timeout (seconds)').getAttribute('aria-invalid')).toBeNull();
    expect(await form(page).getByRole('alert').count()).toBe(0);
    expect(new URL(page.url()).pathname).toBe('/new');
    await saveScreenshot(page, 'new-execution');

    await field(page, 'Working directory').fill(tempDir());
    await field(page, 'Timeout (seconds)').fill('-5');
    await page.getByRole('button', { name: 'Start execution' }).click();
    expect(await errorOf(page, 'Timeout (seconds)')).toMatch(/greater than 0/);
    expect(await field(page, 'Working directory').getAttribute('aria-invalid')).toBeNull();

    await field(page, 'Timeout (seconds)').fill('soon');
    await page.getByRole('button', { name: 'Start execution' }).click();
    // Not a number at all: another message, still at the timeout.
    await eventually(async () => {
      const message = await errorOf(page, 'Timeout (seconds)');
      expect(message).toContain('number');
      expect(message).not.toMatch(/greater than/);
    });

    // A command is required: the server says so next to it.
    await field(page, 'Command').fill('');
    await field(page, 'Timeout (seconds)').fill('');
    await page.getByRole('button', { name: 'Start execution' }).click();
    expect(await errorOf(page, 'Command')).toMatch(/length/);
  });

  it('starts a valid execution with name, tags, directory and timeout and opens its page', async () => {
    const server = await startServer();
    const dir = tempDir();
    const page = await browser.open(server.url, '/new');
    await field(page, 'Command').fill('echo "STEP_START:清洗数据"; pwd; echo "STEP_COMPLETE:清洗数据"');
    await field(page, 'Name').fill('数据处理');
    await field(page, 'Tags').fill('env=prod, nightly');
    await field(page, 'Working directory').fill(dir);
    await field(page, 'Timeout (seconds)').fill('60');
    await field(page, 'Timeout (seconds)').press('Enter');

    await page.waitForURL(/\/executions\/[0-9a-z]{26}$/);
    const id = new URL(page.url()).pathname.split('/').at(-1) ?? '';
    const started = await getExecution(server, id);
    expect(started).toMatchObject({
      name: '数据处理',
      cwd: dir,
      tags: { env: 'prod', nightly: '' },
      timeoutSeconds: 60,
    });
    expect((await waitForEnd(server, id)).status).toBe('succeeded');
  });

  it('passes the Environment lines to the script, and names a line that is not NAME=value', async () => {
    const server = await startServer();
    const page = await browser.open(server.url, '/new');
    await field(page, 'Command').fill('echo "[$REGION] [$MODE] [${SECRET-unset}]"');
    await field(page, 'Environment').fill('REGION=eu-west-1\nNOEQUALS');
    await page.getByRole('button', { name: 'Start execution' }).click();
    expect(await errorOf(page, 'Environment')).toBe('"NOEQUALS" is not NAME=value');
    expect(new URL(page.url()).pathname).toBe('/new');

    await field(page, 'Environment').fill('REGION=eu-west-1\n# MODE stays literal\n  MODE=a b $HOME  \n\n');
    await page.getByRole('button', { name: 'Start execution' }).click();
    await page.waitForURL(/\/executions\/[0-9a-z]{26}$/);
    const id = new URL(page.url()).pathname.split('/').at(-1) ?? '';
    expect((await waitForEnd(server, id)).status).toBe('succeeded');
    const log = await fetch(`${server.url}/api/executions/${id}/logs?format=text`);
    expect(await log.text()).toBe('[eu-west-1] [a b $HOME] [unset]\n');
  });
});
