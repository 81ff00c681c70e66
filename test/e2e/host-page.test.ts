import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startCli, waitForOutput } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { saveScreenshot, useBrowser } from './helpers/browser.js';

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

describe('the Host page', () => {
  it("shows the server's and a worker's cards with gauges, and their charts move live; no sideways scroll on a phone", async () => {
    const server = await startServer();
    const worker = startCli(['worker', '--server', server.url, '--name', 'e2e-box'], {
      dataDir: tempDir(),
      env: { STEPFLOW_SPOOL_DIR: tempDir() },
    });
    workers.push(worker.child);
    await waitForOutput(worker.child, (out) => out.includes('claiming runs'), 20_000);

    const page = await browser.open(server.url, '/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Host' }).click();
    const own = page.locator('[data-host-id="server"]');
    const box = page.locator('[data-host-id="worker:e2e-box"]');
    await own.waitFor();
    for (const gauge of ['CPU', 'Memory', 'Disk (data dir)']) {
      const meter = own.getByRole('meter', { name: gauge });
      await meter.waitFor();
      const value = Number(await meter.getAttribute('aria-valuenow'));
      expect(value, gauge).toBeGreaterThanOrEqual(0);
      expect(value, gauge).toBeLessThanOrEqual(100);
    }
    await box.getByRole('meter', { name: 'Memory' }).waitFor({ timeout: 20_000 });

    // The server samples every 2 s while the page watches: its CPU chart gets new points.
    const cpuChart = own.getByRole('img', { name: 'CPU over the last minutes' });
    await cpuChart.waitFor();
    const first = Number(await cpuChart.getAttribute('data-last'));
    await expect
      .poll(async () => Number(await cpuChart.getAttribute('data-last')), { timeout: 15_000 })
      .toBeGreaterThan(first);
    await expect
      .poll(async () => Number(await cpuChart.getAttribute('data-samples')), { timeout: 15_000 })
      .toBeGreaterThanOrEqual(2);
    // The worker's chart moves with its heartbeats.
    const boxChart = box.getByRole('img', { name: 'Memory over the last minutes' });
    const boxFirst = Number((await boxChart.getAttribute('data-last')) ?? 0);
    await expect
      .poll(async () => Number(await boxChart.getAttribute('data-last')), { timeout: 20_000 })
      .toBeGreaterThan(boxFirst);
    await saveScreenshot(page, 'host');

    const phone = await browser.open(server.url, '/host', { viewport: { width: 390, height: 844 } });
    await phone.locator('[data-host-id="server"]').getByRole('meter', { name: 'CPU' }).waitFor();
    await phone.locator('[data-host-id="server"] .host-chart').first().waitFor();
    const widths = await phone.evaluate(() => ({
      scrollWidth: document.scrollingElement?.scrollWidth ?? 0,
      innerWidth: window.innerWidth,
    }));
    expect(widths.scrollWidth).toBeLessThanOrEqual(widths.innerWidth);
  }, 90_000);
});
