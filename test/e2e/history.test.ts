import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/test-server.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { saveScreenshot, useBrowser } from './helpers/browser.js';
import { eventually } from './helpers/execution-kit.js';
import { seedExecutions, shownExecutionNames } from './helpers/seed-executions.js';

const startServer = useTestServers();
const browser = useBrowser();
const tempDir = useTempDirs();

/**
 * An execution that ran long ago, written to the server's real store the way a restored data dir
 * would hold it (the API can only start executions now).
 */
async function pastExecution(server: TestServer, name: string, createdAt: string): Promise<void> {
  const { store } = server.stepflow;
  const created = await store.createExecution({
    spec: { name, command: `./${name}.sh`, cwd: '/srv', tags: { env: 'prod' } },
    createdAt,
  });
  const endedAt = new Date(Date.parse(createdAt) + 95_000).toISOString();
  await store.write({
    executions: [
      { ...created, status: 'succeeded', exitCode: 0, startedAt: createdAt, endedAt, durationMs: 95_000 },
    ],
  });
}

const names = (page: Page) => shownExecutionNames(page);
/** A control of the filter bar by its label. */
const filter = (page: Page, label: string) =>
  page.getByRole('search', { name: 'Filter executions' }).getByLabel(label, { exact: true });
const search = (page: Page) => new URL(page.url()).searchParams;

describe('the history page', () => {
  it('narrows the rows by status, tag, text and date range, keeping the filters in the URL', async () => {
    const server = await startServer();
    await pastExecution(server, 'legacy-import', '2025-01-15T10:00:00.000Z');
    await seedExecutions(server, tempDir());
    const page = await browser.open(server.url, '/history');
    await eventually(async () =>
      expect(await names(page)).toEqual(['数据处理', 'nightly-backup', 'train-model', 'legacy-import']),
    );
    await saveScreenshot(page, 'history');

    // Status: ticking a box applies at once.
    await page.getByRole('checkbox', { name: 'failed', exact: true }).check();
    await eventually(async () => expect(await names(page)).toEqual(['nightly-backup']));
    expect(search(page).getAll('status')).toEqual(['failed']);
    await page.getByRole('checkbox', { name: 'succeeded' }).check();
    await eventually(async () =>
      expect(await names(page)).toEqual(['数据处理', 'nightly-backup', 'train-model', 'legacy-import']),
    );
    expect(search(page).getAll('status')).toEqual(['failed', 'succeeded']);

    // Tag (typed, applied with Enter), combined with the statuses.
    await filter(page, 'Tag').fill('env=prod, nightly');
    await filter(page, 'Tag').press('Enter');
    await eventually(async () => expect(await names(page)).toEqual(['nightly-backup']));
    expect(search(page).getAll('tag')).toEqual(['env=prod', 'nightly']);

    // A shared link opens the same view: filters shown in the form, same rows.
    const shared = await browser.open(server.url, new URL(page.url()).pathname + new URL(page.url()).search);
    await eventually(async () => expect(await names(shared)).toEqual(['nightly-backup']));
    expect(await shared.getByRole('checkbox', { name: 'failed', exact: true }).isChecked()).toBe(true);
    expect(await filter(shared, 'Tag').inputValue()).toBe('env=prod, nightly');

    // Clear, then text: case-insensitive, Unicode.
    await page.getByRole('link', { name: 'Clear' }).click();
    await eventually(async () => expect(await names(page)).toHaveLength(4));
    expect(page.url()).toBe(`${server.url}/history`);
    await filter(page, 'Search').fill('数据');
    await page.getByRole('button', { name: 'Apply' }).click();
    await eventually(async () => expect(await names(page)).toEqual(['数据处理']));
    expect(search(page).get('q')).toBe('数据');
    await filter(page, 'Search').fill('TRAIN');
    await filter(page, 'Search').press('Enter');
    await eventually(async () => expect(await names(page)).toEqual(['train-model']));

    // Date range (local days, both inclusive).
    await page.getByRole('link', { name: 'Clear' }).click();
    await eventually(async () => expect(await names(page)).toHaveLength(4));
    await filter(page, 'From').fill('2025-01-15');
    await eventually(async () => expect(await names(page)).toHaveLength(4));
    await filter(page, 'To').fill('2025-01-15');
    await eventually(async () => expect(await names(page)).toEqual(['legacy-import']));
    expect([search(page).get('since'), search(page).get('until')]).toEqual(['2025-01-15', '2025-01-15']);
    await filter(page, 'From').fill('2025-01-16');
    await page.getByText('No executions match these filters.').waitFor();
  });

  it('sorts oldest first, pages with Load more, and links each row to its execution', async () => {
    const server = await startServer();
    // 60 runs one minute apart: more than a page (50).
    for (let i = 0; i < 60; i++) {
      await pastExecution(
        server,
        `batch-${String(i).padStart(2, '0')}`,
        new Date(Date.UTC(2025, 5, 1, 8, i)).toISOString(),
      );
    }
    const page = await browser.open(server.url, '/history');
    await eventually(async () => expect(await names(page)).toHaveLength(50));
    expect((await names(page))[0]).toBe('batch-59');
    await page.getByRole('button', { name: 'Load more' }).click();
    await eventually(async () => expect(await names(page)).toHaveLength(60));
    expect((await names(page)).at(-1)).toBe('batch-00');
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    await filter(page, 'Sort').selectOption('asc');
    await eventually(async () => expect((await names(page)).slice(0, 2)).toEqual(['batch-00', 'batch-01']));
    expect(search(page).get('order')).toBe('asc');
    await page.getByRole('button', { name: 'Load more' }).click();
    await eventually(async () => expect((await names(page)).at(-1)).toBe('batch-59'));
    const all = await names(page);
    expect(new Set(all).size).toBe(60);

    await page.getByRole('link', { name: 'batch-07' }).click();
    await page.waitForURL(/\/executions\/[0-9a-z]{26}$/);
  });
});
