import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createJob, ended, runsOf } from '../jobs/jobs-client.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { useBrowser } from './helpers/browser.js';
import { eventually, runScript, waitForEnd } from './helpers/execution-kit.js';

const startServer = useTestServers();
const browser = useBrowser();
const tempDir = useTempDirs();

/** An iPhone 12–15 in portrait. */
const PHONE = { width: 390, height: 844 };

/** What overflows the page's width: the body scrolls sideways when this is not empty. */
async function sidewaysScroll(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate(() => ({
    scrollWidth: document.scrollingElement?.scrollWidth ?? 0,
    innerWidth: window.innerWidth,
  }));
}

/** True when the element is drawn and wholly inside the viewport's width. */
async function onScreen(page: Page, control: Locator): Promise<boolean> {
  const box = await control.boundingBox();
  const width = page.viewportSize()?.width ?? 0;
  return box !== null && box.width > 0 && box.x >= 0 && box.x + box.width <= width + 0.5;
}

describe('the dashboard at 390 px wide', () => {
  it('has no sideways page scroll on the dashboard, history, an execution and a job, and keeps their controls in reach', async () => {
    const server = await startServer();
    const dir = tempDir();
    const execution = await runScript(
      server,
      dir,
      'nightly data import with a rather long name',
      `echo "STEP_START:Download the input files from the archive"
echo "a fairly long line of output that is wider than a phone: ${'x'.repeat(200)}"
echo "STEP_COMPLETE:Download the input files from the archive"
echo "STEP_START:Load"
echo "oops" >&2
exit 2
`,
    );
    await waitForEnd(server, execution.id);
    const job = await createJob(server.url, {
      name: 'backup of the production database',
      command: `echo "STEP_START:Dump"; echo done; echo "STEP_COMPLETE:Dump"`,
      triggers: [{ cron: '0 3 * * *' }],
    });
    expect((await fetch(`${server.url}/api/jobs/${job.id}/run`, { method: 'POST' })).status).toBe(201);
    await eventually(async () => {
      const runs = await runsOf(server.url, job.id);
      expect(runs.length === 1 && runs.every(ended)).toBe(true);
    });

    const page = await browser.open(server.url, '/', { viewport: PHONE });
    const nav = page.getByRole('navigation', { name: 'Main' });
    const checks: { path: string; ready: string; controls: (page: Page) => Locator[] }[] = [
      {
        path: '/',
        ready: 'main table tbody tr',
        controls: (p) => [p.getByRole('combobox', { name: 'Time range' })],
      },
      {
        path: '/history',
        ready: 'main table tbody tr',
        controls: (p) => [p.getByPlaceholder('Name or command'), p.getByRole('button', { name: 'Apply' })],
      },
      {
        path: `/executions/${execution.id}`,
        ready: '.log-line',
        controls: (p) => [
          p.getByRole('button', { name: 'Re-run', exact: true }),
          p.getByRole('searchbox', { name: 'Search the log' }),
          p.getByRole('button', { name: 'Next match' }),
        ],
      },
      {
        path: `/jobs/${job.id}`,
        ready: 'main table tbody tr',
        controls: (p) => [
          p.getByRole('button', { name: 'Run now' }),
          p.getByRole('button', { name: 'Pause' }),
          p.getByRole('link', { name: 'Edit', exact: true }),
          p.getByRole('combobox', { name: 'Run to compare' }),
        ],
      },
    ];
    for (const { path, ready, controls } of checks) {
      await page.goto(server.url + path);
      await page.locator(ready).first().waitFor();
      // Charts and tables draw after their data: give them a frame before measuring.
      await page.waitForTimeout(300);
      const { scrollWidth, innerWidth } = await sidewaysScroll(page);
      expect(
        scrollWidth,
        `${path} is ${scrollWidth} px wide in a ${innerWidth} px window`,
      ).toBeLessThanOrEqual(innerWidth);
      expect(
        await onScreen(page, page.locator('.topbar').getByRole('link', { name: 'New execution' })),
        path,
      ).toBe(true);
      for (const name of ['Dashboard', 'History', 'Jobs']) {
        expect(await onScreen(page, nav.getByRole('link', { name, exact: true })), `${path}: ${name}`).toBe(
          true,
        );
      }
      for (const control of controls(page)) {
        expect(await onScreen(page, control), `${path}: ${control.toString()}`).toBe(true);
      }
    }
  }, 60_000);
});
