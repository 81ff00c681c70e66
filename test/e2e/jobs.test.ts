import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createJob, ended, runsOf } from '../jobs/jobs-client.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';
import { saveScreenshot, useBrowser } from './helpers/browser.js';
import { eventually } from './helpers/execution-kit.js';

const startServer = useTestServers();
const browser = useBrowser();
const tempDir = useTempDirs();

const newJobForm = (page: Page) => page.getByRole('form', { name: 'New job' });
const triggerRow = (page: Page, n: number) => newJobForm(page).getByRole('group', { name: `Trigger ${n}` });
const runRows = (page: Page) => page.getByRole('table', { name: 'Runs', exact: true }).locator('tbody tr');

/** The error a field points at with aria-describedby (what a screen reader reads with it). */
async function errorOf(page: Page, input: Locator): Promise<string> {
  await expect.poll(() => input.getAttribute('aria-invalid'), { timeout: 15_000 }).toBe('true');
  const ids = (await input.getAttribute('aria-describedby')) ?? '';
  const errorId = ids.split(' ').find((id) => id.endsWith('-error'));
  return page.locator(`[id="${errorId}"]`).innerText();
}

/** The fire times a preview table shows, as epoch ms (from the browser-zone column). */
async function previewTimes(table: Locator): Promise<number[]> {
  return table
    .locator('tbody tr td:last-child time')
    .evaluateAll((times) => times.map((t) => Date.parse(t.getAttribute('datetime') ?? '')));
}

async function jobCount(server: TestServer): Promise<number> {
  const response = await fetch(`${server.url}/api/jobs`);
  return ((await response.json()) as { items: unknown[] }).items.length;
}

describe('the jobs pages', () => {
  it('creates an every-second job from the form with a live preview, shows its runs live, and Pause stops new runs', async () => {
    const server = await startServer();
    const dir = tempDir();
    const page = await browser.open(server.url, '/jobs/new');
    const form = newJobForm(page);
    await form.getByLabel('Name', { exact: true }).fill('每秒 tick');
    await form
      .getByLabel('Command', { exact: true })
      .fill('echo "STEP_START:检查"; echo "ok ✓"; echo "STEP_COMPLETE:检查"');
    await form.getByLabel('Working directory', { exact: true }).fill(dir);
    const trigger = triggerRow(page, 1);
    await trigger.getByLabel('Time zone', { exact: true }).fill('Asia/Shanghai');

    // Five fields first (every minute): the preview lists times a minute apart, in Shanghai and here.
    const cron = trigger.getByLabel('Cron expression', { exact: true });
    await cron.pressSequentially('*/1 * * * *', { delay: 20 });
    const preview = trigger.getByRole('table', { name: 'Next fire times of trigger 1' });
    await eventually(async () => {
      const times = await previewTimes(preview);
      expect(times).toHaveLength(5);
      expect(times[1]! - times[0]!).toBe(60_000);
    });
    expect(await preview.locator('thead').innerText()).toContain('Asia/Shanghai');

    // One more field while the preview is up: every second now, the preview follows.
    await cron.pressSequentially(' *', { delay: 20 });
    await eventually(async () => {
      const times = await previewTimes(preview);
      expect(times).toHaveLength(5);
      expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([1000, 1000, 1000, 1000]);
    });
    expect(await cron.getAttribute('aria-invalid')).toBeNull();
    await saveScreenshot(page, 'job-form', { fullPage: true });

    await form.getByRole('button', { name: 'Create job' }).click();
    await page.waitForURL(/\/jobs\/[0-9a-z]{26}$/);
    const jobId = new URL(page.url()).pathname.split('/').at(-1) ?? '';
    await page.getByRole('heading', { name: '每秒 tick', level: 1 }).waitFor();
    expect(await page.getByText('cron */1 * * * * * (Asia/Shanghai)').count()).toBe(1);

    // Runs show up on their own (no reload): the live topic refreshes the list.
    await eventually(async () => expect(await runRows(page).count()).toBeGreaterThanOrEqual(3), 25_000);
    const firstLink = runRows(page).last().getByRole('link').first();
    expect(await firstLink.getAttribute('href')).toMatch(/^\/executions\/[0-9a-z]{26}$/);
    expect(await page.getByRole('table', { name: 'Fire history' }).innerText()).toContain('started');

    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.locator('.job-title .job-state', { hasText: 'paused' }).waitFor();
    await page.getByRole('button', { name: 'Resume', exact: true }).waitFor();
    await page.getByText('Paused: nothing planned.').waitFor();

    // Let the run that may have started just before the pause end, then nothing new may come.
    const settled = await eventually(async () => {
      const runs = await runsOf(server.url, jobId);
      expect(runs.every(ended)).toBe(true);
      return runs.length;
    });
    await eventually(async () => expect(await runRows(page).count()).toBe(settled));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await runsOf(server.url, jobId)).length).toBe(settled);
    expect(await runRows(page).count()).toBe(settled);
    expect(await page.getByTestId('run-count').innerText()).toBe(String(settled));
  });

  it('shows a bad cron expression or time zone next to its field while typing, and a rejected save next to the field it names', async () => {
    const server = await startServer();
    const page = await browser.open(server.url, '/jobs/new');
    const form = newJobForm(page);
    await form.getByLabel('Name', { exact: true }).fill('nightly-报表');
    await form.getByLabel('Command', { exact: true }).fill('echo hi');
    const trigger = triggerRow(page, 1);
    const cron = trigger.getByLabel('Cron expression', { exact: true });
    const zone = trigger.getByLabel('Time zone', { exact: true });
    await zone.fill('UTC');
    await cron.fill('*/5 * * banana');

    expect(await errorOf(page, cron)).toMatch(/^Invalid cron expression "\*\/5 \* \* banana"/);
    expect(await zone.getAttribute('aria-invalid')).toBeNull();
    expect(await trigger.getByRole('table').count()).toBe(0);
    // Nothing was submitted.
    expect(new URL(page.url()).pathname).toBe('/jobs/new');
    expect(await jobCount(server)).toBe(0);

    // Fixed cron, unknown zone: the error moves to the zone.
    await cron.fill('0 3 * * *');
    await zone.fill('Mars/Olympus_Mons');
    expect(await errorOf(page, zone)).toMatch(/^Unknown time zone "Mars\/Olympus_Mons"/);
    await eventually(async () => expect(await cron.getAttribute('aria-invalid')).toBeNull());

    // Saving anyway: the server's 400 lands next to the zone, and so does one about the retries.
    await form.getByRole('button', { name: 'Create job' }).click();
    expect(await errorOf(page, zone)).toMatch(/^Unknown time zone/);
    await zone.fill('Asia/Shanghai');
    await form.getByLabel('Max attempts', { exact: true }).fill('0');
    await form.getByRole('button', { name: 'Create job' }).click();
    expect(await errorOf(page, form.getByLabel('Max attempts', { exact: true }))).toBe(
      'Must be a whole number from 1 to 100, got 0',
    );
    expect(await form.getByRole('alert').count()).toBe(0);
    expect(await jobCount(server)).toBe(0);

    await form.getByLabel('Max attempts', { exact: true }).fill('2');
    await form.getByRole('button', { name: 'Create job' }).click();
    await page.waitForURL(/\/jobs\/[0-9a-z]{26}$/);
    expect(await jobCount(server)).toBe(1);
  });

  it('lists jobs with triggers in words, next fire time, last status and recent runs, live', async () => {
    const server = await startServer();
    const dir = tempDir();
    const backup = await createJob(server.url, {
      name: 'backup 备份',
      command: 'echo "STEP_START:dump"; echo done',
      cwd: dir,
      triggers: [{ cron: '0 3 * * *', timezone: 'Asia/Shanghai' }],
    });
    const flaky = await createJob(server.url, {
      name: 'flaky',
      command: 'exit 3',
      cwd: dir,
      enabled: false,
      triggers: [{ intervalSeconds: 3600 }],
    });
    for (const job of [backup, flaky]) {
      const response = await fetch(`${server.url}/api/jobs/${job.id}/run`, { method: 'POST' });
      expect(response.status).toBe(201);
      await eventually(async () => expect((await runsOf(server.url, job.id)).every(ended)).toBe(true));
    }

    const page = await browser.open(server.url, '/');
    const requested: string[] = [];
    page.on('request', (request) => {
      const { pathname, search } = new URL(request.url());
      requested.push(pathname + search);
    });
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
    await page.waitForURL(`${server.url}/jobs`);
    const row = (job: { id: string }) => page.locator(`tr[data-job-id="${job.id}"]`);

    await row(backup).waitFor();
    const backupRow = row(backup);
    expect(await backupRow.getByRole('link', { name: 'backup 备份' }).getAttribute('href')).toBe(
      `/jobs/${backup.id}`,
    );
    expect(await backupRow.innerText()).toContain('cron 0 3 * * * (Asia/Shanghai)');
    expect(await backupRow.innerText()).toContain('active');
    // Next fire: relative and absolute; 03:00 in Shanghai is 19:00 UTC.
    const next = backupRow.locator('.next-fire time');
    expect(await next.getAttribute('datetime')).toMatch(/T19:00:00\.000Z$/);
    expect(await next.innerText()).toMatch(/^in \d+[smh]/);
    expect(await backupRow.locator('.last-run .status').getAttribute('data-status')).toBe('succeeded');

    const flakyRow = row(flaky);
    expect(await flakyRow.innerText()).toContain('every 1 h');
    expect(await flakyRow.innerText()).toContain('paused');
    expect(await flakyRow.locator('.next-fire').innerText()).toBe('paused');
    expect(await flakyRow.locator('.last-run .status').getAttribute('data-status')).toBe('failed');
    await eventually(async () =>
      expect(await flakyRow.locator('.run-sparkline rect').getAttribute('data-status')).toBe('failed'),
    );
    // The table, sparklines included, comes from the list: no request per row.
    expect(requested.filter((url) => url.includes('jobId=') || url.startsWith('/api/jobs/'))).toEqual([]);
    expect(requested).toContain('/api/jobs?recentRuns=20');

    // Run now from the list: a second bar appears in the sparkline without a reload.
    await expect.poll(() => backupRow.locator('.run-sparkline rect').count()).toBe(1);
    await backupRow.getByRole('button', { name: 'Run backup 备份 now' }).click();
    await eventually(async () => {
      const bars = backupRow.locator('.run-sparkline rect');
      expect(await bars.count()).toBe(2);
      expect(await bars.last().getAttribute('data-status')).toBe('succeeded');
    });
    // Resume from the list: the paused job gets a next fire time.
    await flakyRow.getByRole('button', { name: 'Resume flaky' }).click();
    await eventually(async () => expect(await flakyRow.locator('.next-fire').innerText()).toMatch(/^in /));
    // Changes made elsewhere (the CLI, another tab) show up without a reload: a pause, a new job.
    expect((await fetch(`${server.url}/api/jobs/${backup.id}/pause`, { method: 'POST' })).status).toBe(200);
    await eventually(async () => expect(await backupRow.locator('.next-fire').innerText()).toBe('paused'));
    const added = await createJob(server.url, { name: 'added elsewhere', command: 'true', triggers: [] });
    await row(added).waitFor();
    await flakyRow.getByRole('button', { name: 'Pause flaky' }).click();
    await eventually(async () => expect(await flakyRow.locator('.next-fire').innerText()).toBe('paused'));
    await saveScreenshot(page, 'jobs');
  });

  it('edits a job: the changed trigger is saved, the webhook and env it did not touch are kept, typed env lines replace the env', async () => {
    const server = await startServer();
    const job = await createJob(server.url, {
      name: 'report',
      command: 'echo report',
      cwd: tempDir(),
      env: { TOKEN: 'env-s3cret' },
      triggers: [{ cron: '0 6 * * *', timezone: 'UTC' }],
      webhooks: [{ url: 'http://127.0.0.1:9/hook', events: ['failure'], secret: 's3cret' }],
    });
    const page = await browser.open(server.url, `/jobs/${job.id}`);
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    const form = page.getByRole('form', { name: 'Edit job' });
    // The saved variable is named, never shown; the field starts empty and leaving it so keeps it.
    const env = form.getByLabel('Environment', { exact: true });
    expect(await env.inputValue()).toBe('');
    const envHintId = ((await env.getAttribute('aria-describedby')) ?? '').split(' ').at(-1);
    expect(await page.locator(`[id="${envHintId}"]`).innerText()).toMatch(
      /^Set now: TOKEN \(values are not shown\)/,
    );
    expect(await page.content()).not.toContain('env-s3cret');
    const cron = form
      .getByRole('group', { name: 'Trigger 1' })
      .getByLabel('Cron expression', { exact: true });
    expect(await cron.inputValue()).toBe('0 6 * * *');
    expect(await form.getByRole('group', { name: 'Webhook 1' }).getByLabel('URL').inputValue()).toBe(
      'http://127.0.0.1:9/hook',
    );
    await cron.fill('15 4 * * 1');
    await form.getByLabel(/95th percentile/).check();
    await form.getByRole('button', { name: 'Save job' }).click();

    await page.waitForURL(`${server.url}/jobs/${job.id}`);
    await page.getByText('cron 15 4 * * 1 (UTC)').waitFor();
    const saved = (await (await fetch(`${server.url}/api/jobs/${job.id}`)).json()) as typeof job;
    expect(saved.triggers).toMatchObject([{ cron: '15 4 * * 1', timezone: 'UTC' }]);
    expect(saved.lateByP95).toBe(true);
    expect(saved.webhooks).toMatchObject([
      { url: 'http://127.0.0.1:9/hook', events: ['failure'], signed: true },
    ]);
    expect(saved.envNames).toEqual(['TOKEN']);
    expect(await page.getByRole('definition').filter({ hasText: 'TOKEN' }).count()).toBe(1);

    // Lines typed replace the saved variables.
    await page.getByRole('link', { name: 'Edit', exact: true }).click();
    await page
      .getByRole('form', { name: 'Edit job' })
      .getByLabel('Environment', { exact: true })
      .fill('REGION=eu');
    await page.getByRole('button', { name: 'Save job' }).click();
    await page.waitForURL(`${server.url}/jobs/${job.id}`);
    await page.getByRole('definition').filter({ hasText: 'REGION' }).waitFor();
    const replaced = (await (await fetch(`${server.url}/api/jobs/${job.id}`)).json()) as typeof job;
    expect(replaced.envNames).toEqual(['REGION']);
  });

  it('compares step durations between runs and flags the step that got slower', async () => {
    const server = await startServer();
    const dir = tempDir();
    // The fourth run's Build step sleeps 2 s instead of 0.1 s (a counter file tells runs apart).
    const script = path.join(dir, 'build.sh');
    fs.writeFileSync(
      script,
      `n=$(( $(cat count 2>/dev/null || echo 0) + 1 )); echo $n > count
echo "STEP_START:准备"; sleep 0.1; echo "STEP_COMPLETE:准备"
echo "STEP_START:Build"; if [ $n -ge 4 ]; then sleep 2; else sleep 0.1; fi; echo "STEP_COMPLETE:Build"
`,
    );
    const job = await createJob(server.url, {
      name: 'build-nightly',
      command: `bash ${JSON.stringify(script)}`,
      cwd: dir,
      triggers: [{ cron: '30 2 * * 1-5', timezone: 'Europe/Berlin' }],
    });
    const page = await browser.open(server.url, `/jobs/${job.id}`);
    await page.getByRole('heading', { name: 'build-nightly', level: 1 }).waitFor();
    expect(await page.getByRole('table', { name: 'Next fire times' }).locator('tbody tr').count()).toBe(5);

    for (let n = 1; n <= 4; n++) {
      await page.getByRole('button', { name: 'Run now' }).click();
      await eventually(async () => {
        const runs = await runsOf(server.url, job.id);
        expect(runs).toHaveLength(n);
        expect(runs.every(ended)).toBe(true);
      }, 20_000);
    }

    const comparison = page.getByRole('region', { name: 'Step durations against their median' });
    const buildRow = comparison.locator('tbody tr', { hasText: 'Build' });
    await eventually(async () => {
      expect(await runRows(page).count()).toBe(4);
      expect(await buildRow.getAttribute('data-verdict')).toBe('slower');
    }, 20_000);
    expect(await buildRow.innerText()).toContain('slower');
    expect(await comparison.locator('tbody tr', { hasText: '准备' }).getAttribute('data-verdict')).toBe(
      'same',
    );
    expect(await comparison.getByRole('status').innerText()).toContain('1 step got slower');
    expect(await page.getByText('100% (4 of 4 runs)').count()).toBe(1);
    await page.locator('.duration-trend-chart canvas').waitFor();

    // An earlier run against the others: nothing got slower there.
    const picker = comparison.getByLabel('Run to compare');
    const options = await picker
      .locator('option')
      .evaluateAll((items) => items.map((item) => (item as unknown as { value: string }).value));
    expect(options).toHaveLength(4);
    await picker.selectOption(options[2]!);
    await eventually(async () => expect(await buildRow.getAttribute('data-verdict')).not.toBe('slower'));
    await picker.selectOption(options[0]!);
    await eventually(async () => expect(await buildRow.getAttribute('data-verdict')).toBe('slower'));
    await saveScreenshot(page, 'job', { fullPage: true });
  });
});
