import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { saveScreenshot, useBrowser } from './helpers/browser.js';
import { eventually, runScript, waitForEnd } from './helpers/execution-kit.js';

const startServer = useTestServers();
const browser = useBrowser();
const tempDir = useTempDirs();

const searchBox = (page: Page) =>
  page.getByRole('search', { name: 'Search in logs' }).getByLabel('Search in logs', { exact: true });
const results = (page: Page) => page.getByRole('list', { name: 'Runs whose log matches' });

/** Each result as a person reads it: the run's name, its counts, and its lines (number, step, text). */
async function shownResults(page: Page) {
  return results(page)
    .locator(':scope > li')
    .evaluateAll((items) =>
      items.map((item) => ({
        name: item.querySelector('.run-search-name')?.textContent ?? '',
        counts: item.querySelector('.run-search-count')?.textContent ?? '',
        lines: [...item.querySelectorAll('.run-search-lines > li')].map((li) => ({
          seq: li.querySelector('.run-search-seq')?.textContent ?? '',
          step: li.querySelector('.run-search-step')?.textContent ?? null,
          text: li.querySelector('.run-search-text')?.textContent ?? '',
          marked: [...li.querySelectorAll('mark')].map((mark) => mark.textContent),
        })),
      })),
    )
    .catch(() => []);
}

describe('search in logs on the history page', () => {
  it('finds the runs whose log holds the text as it is typed, with counts, marked escaped excerpts and line links', async () => {
    const server = await startServer();
    const dir = tempDir();
    const started = [];
    started.push(
      await runScript(
        server,
        dir,
        'db-migrate',
        `echo "STEP_START:Migrate"
seq 1 1500 | sed 's/^/row /'
printf '<b>pg</b>: \\033[31mConnection REFUSED\\033[0m, retrying (connection refused)\\n'
echo "STEP_COMPLETE:Migrate"
exit 2
`,
      ),
    );
    started.push(await runScript(server, dir, 'unrelated', 'echo "all fine"\n'));
    started.push(await runScript(server, dir, 'api-smoke', 'echo "GET /health: connection refused"\n'));
    for (const run of started) await waitForEnd(server, run.id);
    const migrate = started[0]!;

    const page = await browser.open(server.url, '/history');
    const requests: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/search')) requests.push(request.url());
    });

    // Too short for the index: a hint, no request.
    await searchBox(page).fill('co');
    await expect.poll(() => page.getByText('Type at least 3 characters.').isVisible()).toBe(true);

    // Typed key by key: one request once typing pauses, not one per key.
    await searchBox(page).pressSequentially('nnection refused', { delay: 20 });
    await eventually(async () =>
      expect(await shownResults(page)).toEqual([
        {
          name: 'api-smoke',
          counts: '1 match in 1 line',
          lines: [
            {
              seq: '1',
              step: 'Set up',
              text: 'GET /health: connection refused',
              marked: ['connection refused'],
            },
          ],
        },
        {
          name: 'db-migrate',
          counts: '2 matches in 1 line',
          lines: [
            {
              seq: '1502',
              step: 'Migrate',
              text: '<b>pg</b>: Connection REFUSED, retrying (connection refused)',
              marked: ['Connection REFUSED', 'connection refused'],
            },
          ],
        },
      ]),
    );
    expect(requests).toHaveLength(1);
    expect(new URL(requests[0]!).searchParams.get('q')).toBe('connection refused');
    // The log's text is shown as text: its markup never becomes elements of the page.
    expect(await results(page).locator('b').count()).toBe(0);
    expect(await page.getByRole('table').count()).toBe(0);
    await saveScreenshot(page, 'history-log-search');

    // The history's filters apply: only failed runs.
    await page.getByRole('checkbox', { name: 'failed', exact: true }).check();
    await eventually(async () =>
      expect((await shownResults(page)).map((r) => r.name)).toEqual(['db-migrate']),
    );

    // Nothing found says so.
    await searchBox(page).fill('no such text anywhere');
    await expect
      .poll(() => page.getByText('No run’s log holds “no such text anywhere”.').isVisible())
      .toBe(true);

    // A line number opens the run at that line.
    await searchBox(page).fill('retrying');
    await results(page).getByRole('link', { name: 'Line 1502' }).click();
    await expect.poll(() => page.url()).toBe(`${server.url}/executions/${migrate.id}#L1502`);
    const target = page.locator('.log-line[data-seq="1502"]');
    await expect.poll(() => target.getAttribute('class')).toContain('log-highlighted');
    // The row is drawn (highlighted, "…") before its chunk of the log arrives.
    await expect
      .poll(() => target.locator('.log-text').textContent())
      .toContain('retrying (connection refused)');

    // Clearing the box brings the list of executions back.
    await page.goBack();
    await searchBox(page).fill('');
    await expect.poll(() => page.getByRole('table').count()).toBe(1);
  });
});
