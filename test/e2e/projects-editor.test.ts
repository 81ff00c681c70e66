import { randomBytes } from 'node:crypto';
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

const PASSWORD = 'correct horse battery';
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

    // The editor follows the dashboard's theme: in dark, its background and syntax colours change.
    const colours = (on: Page) =>
      editor(on)
        .locator('.cm-content span', { hasText: 'mine wins' })
        .evaluate((span) => [
          getComputedStyle(span).color,
          getComputedStyle(span.closest('.cm-editor')!).backgroundColor,
        ]);
    const dark = await browser.open(server.url, '/projects/site?file=hello.sh', { colorScheme: 'dark' });
    await editor(dark).locator('.cm-content').getByText('mine wins').waitFor();
    const [lightText, lightBackground] = await colours(page);
    const [darkText, darkBackground] = await colours(dark);
    expect(darkText).not.toBe(lightText);
    expect(darkBackground).not.toBe(lightBackground);
    await saveScreenshot(dark, 'project-editor-dark');
  }, 90_000);

  it('says which entry a refused archive has and why, leaving no project behind; new file, rename, delete (asked first), rollback and a re-upload each make a version', async () => {
    const server = await startServer();
    const page = await browser.open(server.url, '/projects');
    const evil = patchName(
      await makeZip([
        { name: 'ok.txt', content: 'fine' },
        { name: 'xx/escape.sh', content: 'evil' },
      ]),
      'xx/escape.sh',
      '../escape.sh',
    );
    const form = page.getByRole('form', { name: 'New project' });
    await form.getByLabel('Name').fill('site');
    await form
      .getByLabel('Files (optional)')
      .setInputFiles({ name: 'evil.zip', mimeType: 'application/zip', buffer: evil });
    await form.getByRole('button', { name: 'Create and upload' }).click();
    const refused = form.getByRole('alert');
    await refused.waitFor();
    expect(await refused.innerText()).toContain('entry "../escape.sh" refused (path)');
    expect(new URL(page.url()).pathname).toBe('/projects');
    await saveScreenshot(page, 'projects-refused-upload');
    expect((await (await fetch(`${server.url}/api/projects`)).json()) as unknown).toEqual({ projects: [] });

    // An empty project, then a file typed in.
    await form.getByLabel('Files (optional)').setInputFiles([]);
    await form.getByRole('button', { name: 'Create empty project' }).click();
    await page.waitForURL(/\/projects\/site$/);
    await page.getByText('No files yet.').waitFor();
    const answers: string[] = ['tools/run.py'];
    const questions: string[] = [];
    page.on('dialog', (dialog) => {
      questions.push(dialog.message());
      const answer = answers.shift();
      void (dialog.type() === 'prompt'
        ? dialog.accept(answer)
        : answer === 'no'
          ? dialog.dismiss()
          : dialog.accept());
    });
    await page.getByRole('button', { name: 'New file' }).click();
    await page.waitForURL(/file=tools%2Frun\.py$/);
    await typeInEditor(page, 'print("from python")');
    await editor(page).getByRole('button', { name: 'Save' }).click();
    await editor(page).getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    const run = page.getByRole('form', { name: 'Run in project' });
    expect(await run.getByLabel('Run in site').inputValue()).toBe('python3 tools/run.py');

    answers.push('tools/main.py');
    await editor(page).getByRole('button', { name: 'Rename' }).click();
    await page.waitForURL(/file=tools%2Fmain\.py$/);
    await page.locator('[data-path="tools/main.py"]').waitFor();
    expect(await page.locator('[data-path="tools/run.py"]').count()).toBe(0);

    // Delete asks first: "no" keeps it, yes deletes it.
    answers.push('no');
    await editor(page).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => questions.at(-1)).toContain('Delete tools/main.py?');
    expect(await page.locator('[data-path="tools/main.py"]').count()).toBe(1);
    answers.push('yes');
    await editor(page).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.locator('[data-path="tools/main.py"]').count()).toBe(0);
    await page.getByText('Open a file to see it and edit it.').waitFor();

    // Versions: 1 empty, 2 the new file, 3 its text, 4 the rename, 5 the delete. Roll back to 4.
    const versions = page.getByRole('region', { name: 'Versions' });
    await versions.locator('tr[data-version="5"]').getByText('current').waitFor();
    answers.push('yes');
    await versions.locator('tr[data-version="4"]').getByRole('button', { name: 'Roll back' }).click();
    await versions.locator('tr[data-version="4"]').getByText('current').waitFor();
    await page.locator('[data-path="tools/main.py"]').waitFor();
    expect(questions.at(-1)).toContain('Make version 4 of site current?');

    // A re-upload is the next version, with its files. On a slow link (1 MB/s up, as DevTools
    // throttles) the bar shows the upload moving.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 1_000_000,
    });
    const upload = page.getByRole('form', { name: 'Upload a new version' });
    await upload.getByLabel(/New version from an archive/).setInputFiles({
      name: 'v6.zip',
      mimeType: 'application/zip',
      buffer: await makeZip([
        { name: 'README.md', content: '# Site\n' },
        { name: 'data.bin', content: randomBytes(3_000_000) },
      ]),
    });
    await upload.getByRole('button', { name: 'Upload' }).click();
    const bar = upload.getByRole('progressbar', { name: 'Upload progress' });
    // Seen part-way: neither 0 nor done.
    await expect
      .poll(async () => {
        const now = Number(
          (await bar.getAttribute('aria-valuenow', { timeout: 1_000 }).catch(() => null)) ?? 0,
        );
        return now > 0 && now < 100;
      })
      .toBe(true);
    await versions.locator('tr[data-version="6"]').getByText('current').waitFor();
    expect(await bar.count()).toBe(0);
    await page.locator('[data-path="README.md"]').waitFor();
    expect(await page.locator('[data-path="tools/main.py"]').count()).toBe(0);

    // On a phone the page stacks and never scrolls sideways.
    const phone = await browser.open(server.url, '/projects/site?file=README.md', {
      viewport: { width: 390, height: 844 },
    });
    await editor(phone).locator('.cm-content').getByText('# Site').waitFor();
    await phone.getByRole('region', { name: 'Versions' }).locator('tr[data-version="6"]').waitFor();
    const widths = await phone.evaluate(() => ({
      scrollWidth: document.scrollingElement?.scrollWidth ?? 0,
      innerWidth: window.innerWidth,
    }));
    expect(widths.scrollWidth).toBeLessThanOrEqual(widths.innerWidth);
  }, 90_000);

  it('a viewer sees the files and versions read-only: no New project, New file, Save, Rename, Delete, Roll back, Upload or Run', async () => {
    const server = await startServer();
    await server.stepflow.app.users.add({ name: 'vera', role: 'viewer', password: PASSWORD });
    await server.stepflow.app.projects.create('site');
    await server.stepflow.app.projects.writeFile('site', 'hello.sh', Buffer.from(HELLO), {});
    const page = await browser.open(server.url, '/projects');
    const signIn = page.getByRole('form', { name: 'Sign in' });
    await signIn.getByLabel('User name').fill('vera');
    await signIn.getByLabel('Password').fill(PASSWORD);
    await signIn.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'site' }).click();
    await page.getByRole('link', { name: /hello\.sh/ }).click();
    await editor(page).locator('.cm-content').getByText('hello from the archive').waitFor();
    expect(await editor(page).locator('.cm-content').getAttribute('contenteditable')).toBe('false');
    await page.getByRole('region', { name: 'Versions' }).locator('tr[data-version="1"]').waitFor();
    for (const name of ['New file', 'Save', 'Rename', 'Delete', 'Roll back', 'Upload', 'Run'])
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    await editor(page).getByRole('link', { name: 'Download' }).waitFor();
    await page.goto(`${server.url}/projects`);
    await page.getByRole('link', { name: 'site' }).waitFor();
    expect(await page.getByRole('form', { name: 'New project' }).count()).toBe(0);
  }, 60_000);
});
