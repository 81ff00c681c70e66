import { describe, expect, it } from 'vitest';
import type { JobBody } from '../../src/protocol/job-schemas.js';
import { useTestServers } from '../helpers/test-server.js';
import { useBrowser } from './helpers/browser.js';

const startServer = useTestServers();
const browser = useBrowser();

describe('pipeline jobs in the dashboard', () => {
  it('creates a job that runs a saved pipeline, runs it, links its pipeline runs, and the pipeline lists the job', async () => {
    const server = await startServer();
    const yaml = JSON.stringify({
      name: 'e2e-nightly',
      nodes: { fetch: { run: 'echo "OUTPUT:n=1"' }, report: { run: 'true', needs: 'fetch' } },
    });
    const saved = await fetch(`${server.url}/api/pipelines/e2e-nightly`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ yaml }),
    });
    expect(saved.status).toBeLessThan(300);

    const page = await browser.open(server.url, '/jobs/new');
    const form = page.getByRole('form', { name: 'New job' });
    await form.getByLabel('Name', { exact: true }).fill('nightly-pipeline');
    await form.getByLabel('Runs', { exact: true }).selectOption('pipeline');
    // What shapes one process is not asked for a pipeline job.
    expect(await form.getByLabel('Command', { exact: true }).count()).toBe(0);
    expect(await form.getByLabel('Runs on (labels)', { exact: true }).count()).toBe(0);
    await form.getByLabel('Saved pipeline', { exact: true }).selectOption('e2e-nightly');
    await form
      .getByRole('group', { name: 'Trigger 1' })
      .getByLabel('Cron expression', { exact: true })
      .fill('0 3 * * *');
    await form.getByRole('button', { name: 'Create job' }).click();
    await page.waitForURL(/\/jobs\/[0-9a-z]{26}$/);
    const jobId = new URL(page.url()).pathname.split('/').at(-1) ?? '';
    const job = (await (await fetch(`${server.url}/api/jobs/${jobId}`)).json()) as JobBody;
    expect(job).toMatchObject({ pipeline: 'e2e-nightly', command: null, argv: null });
    expect(await page.getByTestId('job-pipeline').innerText()).toBe('e2e-nightly');

    await page.getByRole('button', { name: 'Run now' }).click();
    const runs = page.getByRole('table', { name: 'Pipeline runs' });
    const succeeded = runs.locator('[data-status="succeeded"]');
    await expect.poll(() => succeeded.count(), { timeout: 20_000 }).toBe(1);
    const fireLink = page
      .getByRole('table', { name: 'Fire history' })
      .getByRole('link', { name: 'pipeline run' });
    await expect.poll(() => fireLink.count(), { timeout: 15_000 }).toBe(1);
    await runs.getByRole('link').first().click();
    await page.waitForURL(/\/pipelines\/runs\/[0-9a-z]{26}$/);

    // The job page links the pipeline it runs; its page lists the jobs that run it.
    await page.goBack();
    await page.getByTestId('job-pipeline').click();
    await page.waitForURL(/\/pipelines\/saved\/e2e-nightly$/);
    const jobs = page.getByTestId('pipeline-jobs');
    await expect
      .poll(() => jobs.getByRole('link', { name: 'nightly-pipeline' }).count(), { timeout: 15_000 })
      .toBe(1);

    // The jobs list names the pipeline where a command job shows its last execution.
    await page.goto(`${server.url}/jobs`);
    const row = page.locator(`tr[data-job-id="${jobId}"]`);
    await expect
      .poll(() => row.getByRole('link', { name: 'pipeline e2e-nightly' }).count(), { timeout: 15_000 })
      .toBe(1);
  });
});
