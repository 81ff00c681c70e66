import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { ExecutionBody } from '../../src/protocol/api-schemas.js';
import { call, createJob, ended, runsOf } from '../jobs/jobs-client.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { useBrowser } from './helpers/browser.js';
import { eventually, openGate } from './helpers/execution-kit.js';

const startServer = useTestServers();
const browser = useBrowser();
const tempDir = useTempDirs();

const runRows = (page: Page) => page.getByRole('table', { name: 'Runs', exact: true }).locator('tbody tr');
const waitingRetries = (page: Page) => page.getByRole('status', { name: 'Retries waiting' });

/** Counts the page's loads, to show that what appears came without a reload. */
function countLoads(page: Page): () => number {
  let loads = 0;
  page.on('load', () => loads++);
  return () => loads;
}

describe('job activity, live on the dashboard', () => {
  it('shows a fire skipped by the overlap policy in the fire history without a reload', async () => {
    const server = await startServer();
    // Every second, each run 3 s long: the fires in between are skipped.
    const job = await createJob(server.url, {
      name: 'overlapping 重叠',
      command: 'sleep 3',
      cwd: tempDir(),
      overlap: 'skip',
      triggers: [{ intervalSeconds: 1 }],
    });
    const page = await browser.open(server.url, `/jobs/${job.id}`);
    const loads = countLoads(page);
    await page.getByRole('heading', { name: 'overlapping 重叠', level: 1 }).waitFor();
    const fires = page.getByRole('table', { name: 'Fire history' });

    const skipped = fires.locator('tbody tr', { has: page.locator('[data-outcome="skipped"]') }).first();
    await skipped.waitFor({ timeout: 20_000 });
    expect(await skipped.innerText()).toContain('the previous run is still going (overlap: skip)');
    expect(await fires.locator('[data-outcome="started"]').count()).toBeGreaterThanOrEqual(1);
    expect(loads()).toBe(0);
    expect((await call(server.url, 'POST', `/api/jobs/${job.id}/pause`)).status).toBe(200);
  });

  it('shows a planned retry on the job page while it waits (also after a reload), and clears it when the retry starts', async () => {
    const server = await startServer();
    const job = await createJob(server.url, {
      name: 'flaky 不稳定',
      command: 'echo failing; exit 3',
      cwd: tempDir(),
      triggers: [],
      retry: { maxAttempts: 2, delaySeconds: 6 },
    });
    const page = await browser.open(server.url, `/jobs/${job.id}`);
    await page.getByRole('heading', { name: 'flaky 不稳定', level: 1 }).waitFor();
    const waiting = waitingRetries(page);
    expect(await waiting.innerText()).toBe('');

    await page.getByRole('button', { name: 'Run now' }).click();
    const line = waiting.getByText(/^Retry 2 of 2 at /);
    await line.waitFor({ timeout: 15_000 });
    const first = await eventually(async () => {
      const [only] = await runsOf(server.url, job.id);
      expect(only).toMatchObject({ attempt: 1, status: 'failed' });
      return only;
    });
    expect(await line.innerText()).toMatch(/^Retry 2 of 2 at .+ \(in \d+s\)$/);
    // The time shown is the planned one (the REST view of the job says the same).
    const planned = (await (await fetch(`${server.url}/api/jobs/${job.id}`)).json()) as {
      pendingRetries: { retryOfId: string; at: string }[];
    };
    expect(planned.pendingRetries).toEqual([{ retryOfId: first!.id, attempt: 2, at: expect.any(String) }]);
    expect(await line.locator('time').getAttribute('datetime')).toBe(planned.pendingRetries[0]!.at);

    // A page loaded during the delay shows it too.
    await page.reload();
    await page.getByRole('heading', { name: 'flaky 不稳定', level: 1 }).waitFor();
    await waitingRetries(page)
      .getByText(/^Retry 2 of 2 at /)
      .waitFor();

    // The retry starts: the line goes, the second attempt is listed.
    const loads = countLoads(page);
    await eventually(async () => {
      expect(await waitingRetries(page).innerText()).toBe('');
      expect(await runRows(page).count()).toBe(2);
    }, 20_000);
    expect(loads()).toBe(0);
    const runs = await runsOf(server.url, job.id);
    expect(runs.map((run) => [run.attempt, run.retryOfId])).toEqual([
      [1, null],
      [2, first!.id],
    ]);
  });

  it('marks a run of a job "late" on its page as soon as the scheduler says so', async () => {
    const server = await startServer();
    const dir = tempDir();
    // Runs until the test lets it end (a gate file), late after 8 s.
    fs.writeFileSync(
      path.join(dir, 'long.sh'),
      'echo "working…"\nwhile [ ! -e done.gate ]; do sleep 0.05; done\necho finished\n',
    );
    const job = await createJob(server.url, {
      name: 'slow report',
      command: 'bash long.sh',
      cwd: dir,
      triggers: [],
      lateAfterSeconds: 8,
    });
    const run = await call<ExecutionBody>(server.url, 'POST', `/api/jobs/${job.id}/run`);
    expect(run.status).toBe(201);
    const startedAt = Date.now();
    const page = await browser.open(server.url, `/executions/${run.body.id}`);
    const loads = countLoads(page);
    await page.locator('.log-scroller').getByText('working…').waitFor();
    const badge = page.locator('.late-badge');
    // Subscribed well before the warning (else this test would prove nothing): no badge yet.
    expect(Date.now() - startedAt).toBeLessThan(6_000);
    expect(await badge.count()).toBe(0);

    await badge.waitFor({ timeout: 20_000 });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(7_000);
    // In a live region, so a screen reader announces it.
    expect(await page.getByRole('status').filter({ has: badge }).count()).toBe(1);
    expect(await badge.innerText()).toMatch(/^late/);
    expect(await badge.getAttribute('title')).toBe(
      "Running late: still running after the job's limit of 8.0s",
    );
    expect(loads()).toBe(0);

    openGate(dir, 'done');
    await eventually(async () => {
      const [only] = await runsOf(server.url, job.id);
      expect(only && ended(only)).toBe(true);
    });
    await page.locator('.execution-title .status[data-status="succeeded"]').waitFor();
    // It was late: the badge stays for the rest of the visit.
    expect(await badge.count()).toBe(1);
  });
});
