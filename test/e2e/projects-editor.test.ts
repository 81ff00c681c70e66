import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { makeZip, patchName } from '../helpers/archives.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';
import { saveScreenshot, useBrowser } from './helpers/browser.js';

// Temp dirs first: hooks run in reverse, so the servers are closed before their dirs go.
useTempDirs();
const startServer = useTestServers();
const browser = useBrowser();

const HELLO = '#!/bin/sh\necho "hello from the archive"\n';

/** A file of the project as the API serves it now, with its etag. */
async function apiFile(server: TestServer, path: string): Promise<{ text: string; etag: string }> {
  const response = await fetch(`${server.url}/api/projects/site/file?path=${encodeURIComponent(path)}`);
  expect(response.status).toBe(200);
  return { text: await response.text(), etag: response.headers.get('etag') ?? '' };
}

/** Someone else saves the file meanwhile (through the API, with the etag it read). */
async function writeThroughApi(server: TestServer, path: string, text: string): Promise<void> {
  const { etag } = await apiFile(server, path);
  const response = await fetch(`${server.url}/api/projects/site/file?path=${encodeURIComponent(path)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'if-match': etag },
    body: text,
  });
  expect(response.status).toBe(200);
}

const editor = (page: Page) => page.getByRole('region', { name: 'Editor' });

/** Replaces the editor's whole text by typing it, as a person would. */
async function typeInEditor(page: Page, text: string): Promise<void> {
  await editor(page).locator('.cm-content').click();
  await page.keyboard.press('Control+a');
  await page.keyboard.type(text);
}

describe('the projects pages', () => {
  it('uploads a ZIP, edits hello.sh in the editor, saves with Ctrl-S, runs it and the log shows the edit; a file changed meanwhile is a conflict to reload or overwrite', async () => {
    const server = await startServer();
    const zip = await makeZip([
      { name: 'hello.sh', content: HELLO },
      { name: 'lib/util.py', content: 'x = 1\n' },
    ]);

    const page = await browser.open(server.url, '/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Projects' }).click();
    const form = page.getByRole('form', { name: 'New project' });
    await form.getByLabel('Name').fill('site');
    await form
      .getByLabel('Files (optional)')
      .setInputFiles({ name: 'site.zip', mimeType: 'application/zip', buffer: zip });
    await form.getByRole('button', { name: 'Create and upload' }).click();
    await page.waitForURL(/\/projects\/site$/);
    await page.getByText('version 2').waitFor();

    // The tree: a folder (closes and opens) and the files with their sizes.
    const folder = page.getByRole('button', { name: /lib\// });
    await page.locator('[data-path="lib/util.py"]').waitFor();
    await folder.click();
    await expect.poll(() => page.locator('[data-path="lib/util.py"]').count()).toBe(0);
    await folder.click();
    await page.getByRole('link', { name: /hello\.sh/ }).click();
    await editor(page).locator('.cm-content').getByText('hello from the archive').waitFor();
    // Shell highlighting: the string is a highlighted token, not plain text.
    expect(
      await editor(page).locator('.cm-content span', { hasText: 'hello from the archive' }).count(),
    ).toBe(1);

    await typeInEditor(page, 'echo "edited in the browser"');
    await editor(page).getByLabel('Unsaved changes').waitFor();
    expect(await page.getByRole('button', { name: 'Run', exact: true }).isDisabled()).toBe(true);
    // Leaving with unsaved changes asks first; staying keeps the edits.
    const asked = new Promise<string>((resolve) =>
      page.once('dialog', (dialog) => {
        resolve(dialog.message());
        void dialog.dismiss();
      }),
    );
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
    expect(await asked).toContain('unsaved changes');
    expect(new URL(page.url()).pathname).toBe('/projects/site');

    await page.keyboard.press('Control+s');
    await editor(page).getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect(await editor(page).getByLabel('Unsaved changes').count()).toBe(0);
    expect((await apiFile(server, 'hello.sh')).text).toBe('echo "edited in the browser"');

    const run = page.getByRole('form', { name: 'Run in project' });
    expect(await run.getByLabel('Run in site').inputValue()).toBe('sh hello.sh');
    await run.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForURL(/\/executions\/[0-9a-z]{26}$/);
    await page.locator('.log-line', { hasText: 'edited in the browser' }).waitFor();
    expect(await page.locator('.log-line', { hasText: 'hello from the archive' }).count()).toBe(0);

    // Back in the editor, someone else writes the file; saving here is refused and says why.
    await page.goBack();
    await editor(page).locator('.cm-content').getByText('edited in the browser').waitFor();
    await writeThroughApi(server, 'hello.sh', 'echo "written by the api"\n');
    await typeInEditor(page, 'echo "second edit"');
    await editor(page).getByRole('button', { name: 'Save' }).click();
    const conflict = editor(page).getByRole('alert').filter({ hasText: 'changed since you opened it' });
    await conflict.waitFor();
    await saveScreenshot(page, 'project-editor');
    // Reload: the file as it is now, the edits dropped.
    await conflict.getByRole('button', { name: 'Reload' }).click();
    await editor(page).locator('.cm-content').getByText('written by the api').waitFor();
    expect(await editor(page).getByLabel('Unsaved changes').count()).toBe(0);

    // Again, and this time overwrite theirs with ours.
    await writeThroughApi(server, 'hello.sh', 'echo "the api again"\n');
    await typeInEditor(page, 'echo "mine wins"');
    await page.keyboard.press('Control+s');
    await conflict.getByRole('button', { name: 'Overwrite' }).click();
    await editor(page).getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect((await apiFile(server, 'hello.sh')).text).toBe('echo "mine wins"');
  }, 90_000);
});
