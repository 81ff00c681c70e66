import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { saveScreenshot, useBrowser } from './helpers/browser.js';
import { eventually, openGate, runScript, waitForEnd } from './helpers/execution-kit.js';
import { seedExecutions, shownExecutionNames } from './helpers/seed-executions.js';

const startServer = useTestServers();
const browser = useBrowser();
const tempDir = useTempDirs();

/** The number shown in the summary tile labelled `label`. */
function tile(page: Page, label: string) {
  return page.locator('.status-summary .stat', { has: page.getByText(label, { exact: true }) }).locator('dd');
}

const activeList = (page: Page) => page.getByRole('region', { name: /Active executions/ });

describe('the dashboard', () => {
  it('shows counts by status, the recent executions and two charts', async () => {
    const server = await startServer();
    await seedExecutions(server, tempDir());
    const page = await browser.open(server.url, '/');

    await eventually(async () => expect(await tile(page, 'Total').innerText()).toBe('3'));
    expect(await tile(page, 'succeeded').innerText()).toBe('2');
    expect(await tile(page, 'failed').innerText()).toBe('1');
    expect(await tile(page, 'cancelled').innerText()).toBe('0');
    expect(await tile(page, 'Success rate').innerText()).toBe('67%');
    await eventually(async () =>
      expect(await shownExecutionNames(page, 'Recent executions')).toEqual([
        '数据处理',
        'nightly-backup',
        'train-model',
      ]),
    );
    // Each recent execution links to its page.
    expect(await page.getByRole('link', { name: 'nightly-backup' }).getAttribute('href')).toMatch(
      /^\/executions\/[0-9a-z]{26}$/,
    );
    await expect.poll(() => page.locator('.time-series-chart canvas').count()).toBe(2);
    await page.getByRole('link', { name: 'View all' }).click();
    await page.waitForURL(`${server.url}/history`);
  });

  it('shows a new execution live in the active list with a ticking clock and progress, then finished in the counts', async () => {
    const server = await startServer();
    const dir = tempDir();
    await seedExecutions(server, dir);
    // An earlier successful run of the same name tells how long the next one should take.
    const previous = await runScript(server, dir, 'deploy-service', 'echo "STEP_START:Deploy"\nsleep 1\n');
    await waitForEnd(server, previous.id);
    const page = await browser.open(server.url, '/');
    await activeList(page).getByText('Nothing running or queued.').waitFor();

    const live = await runScript(server, dir, 'deploy-service', 'echo "STEP_START:Deploy"\ngate deployed\n', {
      tags: ['env=prod'],
    });
    const item = activeList(page).getByRole('listitem').filter({ hasText: 'deploy-service' });
    await item.waitFor();
    expect(await item.locator('.status').getAttribute('data-status')).toBe('running');
    await eventually(async () => expect(await tile(page, 'running').innerText()).toBe('1'));
    const progress = item.getByRole('progressbar');
    await progress.waitFor();
    await eventually(async () =>
      expect(Number(await progress.getAttribute('aria-valuenow'))).toBeGreaterThan(0),
    );
    // The elapsed time ticks while it runs.
    const elapsed = item.locator('.elapsed');
    const first = await elapsed.innerText();
    await eventually(async () => expect(await elapsed.innerText()).not.toBe(first));
    await saveScreenshot(page, 'dashboard');

    openGate(dir, 'deployed');
    await waitForEnd(server, live.id);
    await item.waitFor({ state: 'detached' });
    await activeList(page).getByText('Nothing running or queued.').waitFor();
    await eventually(async () => expect(await tile(page, 'succeeded').innerText()).toBe('4'));
    expect(await tile(page, 'Total').innerText()).toBe('5');
    expect(await tile(page, 'running').innerText()).toBe('0');
    await eventually(async () =>
      expect((await shownExecutionNames(page, 'Recent executions'))[0]).toBe('deploy-service'),
    );
  });

  it('redraws the charts in the theme’s colours and at the container’s width', async () => {
    const server = await startServer();
    await seedExecutions(server, tempDir());
    const page = await browser.open(server.url, '/');
    const canvas = page.locator('.time-series-chart canvas').first();
    await canvas.waitFor();
    const pixels = () => canvas.evaluate((c) => (c as unknown as { toDataURL(): string }).toDataURL());
    const light = await pixels();
    const width = (await canvas.boundingBox())?.width ?? 0;

    // The toggle cycles system → light → dark.
    const toggle = page.getByRole('button', { name: /^Theme:/ });
    while ((await toggle.getAttribute('aria-label')) !== 'Theme: dark') await toggle.click();
    await eventually(async () => expect(await pixels()).not.toBe(light));

    // Narrower window, narrower chart: the canvas keeps filling its container.
    await page.setViewportSize({ width: 1200, height: 768 });
    const container = page.locator('.time-series-chart').first();
    await eventually(async () => {
      const now = (await canvas.boundingBox())?.width ?? 0;
      expect(now).toBeLessThan(width - 50);
      expect(Math.abs(now - ((await container.boundingBox())?.width ?? 0))).toBeLessThan(16);
    });
  });
});
