import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { ExecutionBody } from '../../src/protocol/api-schemas.js';
import { call, createJob } from '../jobs/jobs-client.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { useBrowser } from './helpers/browser.js';
import { getExecution, openGate, runScript, waitForEnd } from './helpers/execution-kit.js';

const startServer = useTestServers();
const browser = useBrowser();
const tempDir = useTempDirs();

/** Counts the page's loads, to show that what appears came without a reload. */
function countLoads(page: Page): () => number {
  let loads = 0;
  page.on('load', () => loads++);
  return () => loads;
}

describe('progress, trends and running late on the dashboard', () => {
  it("drives the overall bar from the run's own ESTIMATED_DURATION: time left, then over estimate", async () => {
    const server = await startServer();
    const dir = tempDir();
    // Printed after a line of output, outside any step: the whole run's estimate, 10 s (room for a
    // slow page load before it passes).
    const run = await runScript(
      server,
      dir,
      `estimated ${process.pid}`,
      'echo "warming up"\necho META:ESTIMATED_DURATION:10\necho STEP_START:work\ngate done\necho STEP_COMPLETE:work\n',
    );
    const page = await browser.open(server.url, `/executions/${run.id}`);
    const bar = page.getByRole('progressbar', { name: 'Execution progress' });
    await bar.waitFor({ timeout: 15_000 });
    const estimate = page.locator('.execution-estimate');
    await expect
      .poll(() => estimate.innerText(), { timeout: 10_000 })
      .toMatch(/of ~10(\.0)?s · ~[\d.]+s left/);
    const early = Number(await bar.getAttribute('aria-valuenow'));
    // The bar moves with the clock against 10 s (no earlier run of this name to go on).
    await expect
      .poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 10_000 })
      .toBeGreaterThan(early);
    await expect.poll(() => estimate.innerText(), { timeout: 25_000 }).toContain('over estimate');
    expect(await bar.getAttribute('aria-valuenow')).toBe('99');
    openGate(dir, 'done');
    await waitForEnd(server, run.id);
  });

  it("charts each step's durations over the last runs of the name, this run outlined, names as text", async () => {
    const server = await startServer();
    const dir = tempDir();
    const name = `nightly trend ${process.pid}`;
    const step = '<img src=x onerror="window.pwned=1">build';
    const ids: string[] = [];
    for (const seconds of [0.2, 1.2, 0.6]) {
      const run = await runScript(
        server,
        dir,
        name,
        `echo 'STEP_START:${step}'\nsleep ${seconds}\necho 'STEP_COMPLETE:${step}'\necho STEP_START:test\necho STEP_COMPLETE:test\n`,
      );
      await waitForEnd(server, run.id);
      ids.push(run.id);
    }
    const durations = await Promise.all(
      ids.map(async (id) => (await getExecution(server, id)).steps.find((s) => s.name === step)!.durationMs),
    );

    const page = await browser.open(server.url, `/executions/${ids[2]}`);
    const panel = page.getByRole('region', { name: /Step durations/ });
    await panel.waitFor();
    // The header says how many runs once the trends have loaded: wait for it rather than read it once.
    await panel.locator('.card-header', { hasText: 'last 3 runs of this name' }).waitFor();
    const row = panel.locator('tbody tr').first();
    await row.locator('rect').nth(2).waitFor();
    // The step name is shown as text, not run as markup.
    expect(await row.locator('th').innerText()).toBe(step);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    const bars = row.locator('rect');
    expect(await bars.count()).toBe(3);
    const shown = await bars.evaluateAll((rects) =>
      rects.map((r) => Number(r.getAttribute('data-duration-ms'))),
    );
    expect(shown).toEqual(durations);
    // Heights follow the durations (the longest run fills the chart; durations are read times, so
    // the order of the sleeps is not certain on a loaded machine), the current run (last) outlined.
    const heights = await bars.evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('height'))));
    const byDuration = [0, 1, 2].sort((a, b) => durations[a]! - durations[b]!);
    expect(byDuration.map((i) => heights[i]!)).toEqual(
      [...byDuration.map((i) => heights[i]!)].sort((a, b) => a - b),
    );
    expect(heights[byDuration[2]!]).toBe(28);
    expect(await bars.nth(2).getAttribute('class')).toBe('step-trend-current');
    expect(await row.locator('line.step-trend-median').count()).toBe(1);
    expect(await panel.locator('tbody tr').nth(1).locator('th').innerText()).toBe('test');
  });

  it('shows "late" live on the run, on the job in the jobs list and in the active list once past the threshold', async () => {
    const server = await startServer();
    const dir = tempDir();
    // An ad-hoc run, late after 2 s.
    const adHoc = await runScript(
      server,
      dir,
      `ad hoc late ${process.pid}`,
      'echo "working…"\ngate adhoc\n',
      {
        lateAfterSeconds: 2,
      },
    );
    const runPage = await browser.open(server.url, `/executions/${adHoc.id}`);
    const runLoads = countLoads(runPage);
    await runPage.locator('.log-scroller').getByText('working…').waitFor();
    const runBadge = runPage.locator('.execution-title .late-badge');
    await runBadge.waitFor({ timeout: 20_000 });
    expect(Date.now() - Date.parse(adHoc.createdAt)).toBeGreaterThanOrEqual(2_000);
    expect(await runBadge.getAttribute('title')).toBe('Running late: still running after its limit of 2.0s');
    expect(runLoads()).toBe(0);

    // A job's run, late after 2 s: seen on the jobs list and on the dashboard, both opened before.
    const job = await createJob(server.url, {
      name: 'slow export',
      command: 'bash -c "while [ ! -e job.gate ]; do sleep 0.05; done"',
      cwd: dir,
      triggers: [],
      lateAfterSeconds: 2,
    });
    const jobsPage = await browser.open(server.url, '/jobs');
    const dashboard = await browser.open(server.url, '/');
    const jobsLoads = countLoads(jobsPage);
    const dashboardLoads = countLoads(dashboard);
    const jobRow = jobsPage.locator(`tr[data-job-id="${job.id}"]`);
    await jobRow.waitFor();
    const run = await call<ExecutionBody>(server.url, 'POST', `/api/jobs/${job.id}/run`);
    expect(run.status).toBe(201);
    const activeRow = dashboard
      .getByRole('list', { name: 'Active executions' })
      .locator('li', { has: dashboard.getByRole('link', { name: 'slow export' }) });
    await activeRow.waitFor({ timeout: 15_000 });
    // Not late yet when it shows up as running.
    await jobRow.locator('.status[data-status="running"]').waitFor({ timeout: 15_000 });
    const sinceStart = Date.now() - Date.parse(run.body.createdAt);
    if (sinceStart < 1_500) {
      expect(await jobRow.locator('.late-badge').count()).toBe(0);
      expect(await activeRow.locator('.late-badge').count()).toBe(0);
    }
    await jobRow.locator('.late-badge').waitFor({ timeout: 20_000 });
    await activeRow.locator('.late-badge').waitFor({ timeout: 20_000 });
    expect(await activeRow.locator('.late-badge').getAttribute('title')).toBe(
      "Running late: still running after the job's limit of 2.0s",
    );
    // The ad-hoc run is late in the active list too.
    const adHocRow = dashboard
      .getByRole('list', { name: 'Active executions' })
      .locator('li', { has: dashboard.getByRole('link', { name: `ad hoc late ${process.pid}` }) });
    await adHocRow.locator('.late-badge').waitFor({ timeout: 10_000 });
    expect(jobsLoads()).toBe(0);
    expect(dashboardLoads()).toBe(0);

    openGate(dir, 'job');
    openGate(dir, 'adhoc');
    await waitForEnd(server, run.body.id);
    await waitForEnd(server, adHoc.id);
    // An ended run is not late: the badge goes with the run.
    await jobRow.locator('.status[data-status="succeeded"]').waitFor({ timeout: 15_000 });
    expect(await jobRow.locator('.late-badge').count()).toBe(0);
  });
});
