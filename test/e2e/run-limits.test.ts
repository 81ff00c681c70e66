import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { eventually, readLogPane, runScript, shownSteps, waitForEnd } from './helpers/execution-kit.js';
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
});
