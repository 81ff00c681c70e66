import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { saveScreenshot, useBrowser } from './helpers/browser.js';
import { eventually } from './helpers/execution-kit.js';
import { seedExecutions } from './helpers/seed-executions.js';

const startServer = useTestServers();
const browser = useBrowser();
const tempDir = useTempDirs();

/** Each group as a person reads it: the execution named in its header, then its artifact rows. */
async function shownGroups(page: Page): Promise<{ execution: string; rows: string[][] }[]> {
  return page.locator('.artifact-group').evaluateAll((groups) =>
    groups.map((group) => ({
      execution: group.querySelector('h2 a')?.textContent ?? '',
      rows: [...group.querySelectorAll('tbody tr')].map((row) =>
        [...row.querySelectorAll('td')].map((cell) => (cell.textContent ?? '').trim()),
      ),
    })),
  );
}

describe('the artifacts page', () => {
  it('lists artifacts grouped by execution, newest first, and downloads the exact bytes', async () => {
    const server = await startServer();
    const dir = tempDir();
    const seeded = await seedExecutions(server, dir);
    const page = await browser.open(server.url, '/artifacts');

    await eventually(async () =>
      expect(await shownGroups(page)).toEqual([
        { execution: '数据处理', rows: [['结果.csv', '12 B', '处理后的数据', '清洗数据', 'Download']] },
        { execution: 'nightly-backup', rows: [['backup.log', '17 B', 'Backup log', 'Dump', 'Download']] },
        {
          execution: 'train-model',
          rows: [
            ['model.bin', '4.0 KB', 'Trained weights', 'Train', 'Download'],
            ['metrics.json', '18 B', 'Evaluation metrics', '–', 'Download'],
          ],
        },
      ]),
    );
    // The group header links to its execution and shows how it ended.
    const header = page.getByRole('heading', { name: /nightly-backup/ });
    expect(await header.locator('.status').getAttribute('data-status')).toBe('failed');
    expect(await header.getByRole('link').getAttribute('href')).toBe(
      `/executions/${seeded['nightly-backup'].id}`,
    );
    await saveScreenshot(page, 'artifacts');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download model.bin' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('model.bin');
    const bytes = fs.readFileSync((await download.path()) ?? '');
    expect(bytes.equals(fs.readFileSync(path.join(dir, 'model.bin')))).toBe(true);
    expect(bytes.length).toBe(4096);

    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download 结果.csv' }).click(),
    ]);
    expect(fs.readFileSync((await csv.path()) ?? '', 'utf8')).toBe('id,值\n1,42\n');
  });

  it('filters by path, description or execution name, keeping the search in the URL', async () => {
    const server = await startServer();
    await seedExecutions(server, tempDir());
    const page = await browser.open(server.url, '/artifacts');
    const groupNames = async () => (await shownGroups(page)).map((g) => g.execution);
    await eventually(async () => expect(await groupNames()).toHaveLength(3));

    const box = page.getByRole('searchbox', { name: 'Search artifacts' });
    await box.fill('处理');
    await box.press('Enter');
    await eventually(async () => expect(await groupNames()).toEqual(['数据处理']));
    expect(new URL(page.url()).searchParams.get('q')).toBe('处理');

    await box.fill('WEIGHTS');
    await page.getByRole('button', { name: 'Search' }).click();
    await eventually(async () =>
      expect((await shownGroups(page)).map((g) => [g.execution, g.rows.map((r) => r[0])])).toEqual([
        ['train-model', ['model.bin']],
      ]),
    );

    await box.fill('no such artifact');
    await box.press('Enter');
    await page.getByText('No artifacts match.').waitFor();

    // A shared link shows the same search.
    const shared = await browser.open(server.url, '/artifacts?q=nightly');
    await eventually(async () =>
      expect(await shared.locator('.artifact-group h2 a').allInnerTexts()).toEqual(['nightly-backup']),
    );
    expect(await shared.getByRole('searchbox', { name: 'Search artifacts' }).inputValue()).toBe('nightly');
  });
});
