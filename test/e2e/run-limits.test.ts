import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { eventually, readLogPane, runScript, shownSteps, waitForEnd } from './helpers/execution-kit.js';
import type { JobBody } from '../../src/protocol/job-schemas.js';
import { useBrowser } from './helpers/browser.js';

const startServer = useTestServers();
const browser = useBrowser();
const tempDir = useTempDirs();

describe('the execution page, when a limit triggered', () => {
  it('shows a banner naming the limit and what was done, the marked gap in the log and every step', async () => {
    const server = await startServer();
    const execution = await runScript(
      server,
      tempDir(),
      'chatty',
      `for name in first middle last; do
  echo "STEP_START:$name"
  seq 1 300 | sed "s/^/$name /"
  echo "STEP_COMPLETE:$name"
done
`,
      { limits: { maxLines: 40 } },
    );
    await waitForEnd(server, execution.id);
    const page = await browser.open(server.url, `/executions/${execution.id}`);
    const banner = page.getByRole('status', { name: 'Limits triggered' });
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(
      /^log lines limit · log truncated log truncated by maxLines 40: .*; 866 of 906 lines .* not stored \(exact: every line counted\)$/,
    );
    await eventually(async () =>
      expect((await shownSteps(page)).map((s) => [s.name, s.status])).toEqual([
        ['first', 'succeeded'],
        ['middle', 'succeeded'],
        ['last', 'succeeded'],
      ]),
    );
    const log = await readLogPane(page);
    expect(log.map((l) => l.text)).toContain('… 866 lines (8.2 KB) dropped by maxLines …');
    expect(log.at(-1)?.text).toBe('STEP_COMPLETE:last');
  });

  it('shows the memory limit that killed a run in red', async () => {
    const server = await startServer();
    const execution = await runScript(
      server,
      tempDir(),
      'hungry',
      `python3 -c 'import time; b = b"x" * (200 << 20); time.sleep(30)'\n`,
      { limits: { memoryLimitMb: 64 } },
    );
    const ended = await waitForEnd(server, execution.id, 30_000);
    expect(ended.status).toBe('failed');
    const page = await browser.open(server.url, `/executions/${execution.id}`);
    const banner = page.getByRole('status', { name: 'Limits triggered' });
    await banner.waitFor();
    expect(await banner.getAttribute('data-severity')).toBe('danger');
    // What it was limited to, among the run's facts.
    expect(await page.locator('.fact', { hasText: 'Limits' }).locator('dd').textContent()).toBe(
      'memory 64 MB',
    );
    expect(await banner.textContent()).toMatch(
      /^memory limit · killed killed: memory limit 64 MB exceeded \(peak \d+ MB; best-effort, sampled every 1 s\) \(best-effort: sampled\)$/,
    );
  });

  it('sets a job’s limits in the job form, shows a rejected one next to its field, and saves them', async () => {
    const server = await startServer();
    const page = await browser.open(server.url, '/jobs/new');
    const form = page.getByRole('form', { name: 'New job' });
    await form.getByLabel('Name', { exact: true }).fill('limited');
    await form.getByLabel('Command', { exact: true }).fill('echo hi');
    await form.getByRole('group', { name: 'Trigger 1' }).getByLabel('Time zone', { exact: true }).fill('UTC');
    await form
      .getByRole('group', { name: 'Trigger 1' })
      .getByLabel('Cron expression', { exact: true })
      .fill('0 3 * * *');
    const memory = form.getByLabel('Memory limit (MB)', { exact: true });
    await memory.fill('0');
    await form.getByLabel('Max log lines', { exact: true }).fill('5000');
    await form.getByLabel('Past a log limit', { exact: true }).selectOption('fail');
    await form.getByRole('button', { name: 'Create job' }).click();
    await expect.poll(() => memory.getAttribute('aria-invalid'), { timeout: 15_000 }).toBe('true');

    await memory.fill('512');
    await form.getByRole('button', { name: 'Create job' }).click();
    await page.waitForURL(/\/jobs\/[0-9a-z]{26}$/);
    const id = new URL(page.url()).pathname.split('/').at(-1) ?? '';
    const job = (await (await fetch(`${server.url}/api/jobs/${id}`)).json()) as JobBody;
    expect(job.limits).toEqual({ memoryLimitMb: 512, maxLines: 5000, logLimitPolicy: 'fail' });
  });
});
