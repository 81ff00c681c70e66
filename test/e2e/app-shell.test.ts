import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useTestServers } from '../helpers/test-server.js';
import { useBrowser } from './helpers/browser.js';

const startServer = useTestServers();
const browser = useBrowser();

describe('the dashboard shell', () => {
  it('is served at / with a CSP that forbids inline scripts, and deep links load the app', async () => {
    const server = await startServer();
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');

    const page = await browser.open(server.url, '/history');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
    await page.waitForURL(`${server.url}/`);
    expect(await page.title()).toBe('StepFlow');
    // A reload revalidates the shell (304): the page must still run under the dashboard's policy.
    await page.reload();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  });

  it('offers one "New execution" button, in the top bar, on every page', async () => {
    const server = await startServer();
    const page = await browser.open(server.url, '/');
    for (const path of ['/', '/history', '/jobs']) {
      await page.goto(server.url + path);
      // The page's own header is drawn with its title: a second button would be there by now.
      await page.locator('main h1').waitFor();
      expect(await page.getByRole('link', { name: 'New execution' }).count(), path).toBe(1);
      expect(await page.locator('.topbar').getByRole('link', { name: 'New execution' }).count()).toBe(1);
    }
    await page.getByRole('link', { name: 'New execution' }).click();
    await page.getByRole('form', { name: 'New execution' }).waitFor();
  });

  it('serves the API reference at /docs under a CSP that allows only this server, and it still renders', async () => {
    const server = await startServer();
    const response = await fetch(`${server.url}/docs`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("connect-src 'self'");

    const page = await browser.open(server.url, '/docs');
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.getByText('POST/api/executions', { exact: false }).first().waitFor();
    await page.reload();
    await page.getByRole('heading', { name: /StepFlow API/ }).waitFor();
    expect(violations).toEqual([]);
  });

  it('answers unknown API paths with a JSON 404, not the app shell', async () => {
    const server = await startServer();
    const response = await fetch(`${server.url}/api/nope`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('asks for the API key when the server requires one, then shows the data', async () => {
    const server = await startServer({ env: { STEPFLOW_API_KEY: 'secret-key-1' } });
    const created = await fetch(`${server.url}/api/executions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer secret-key-1' },
      body: JSON.stringify({
        command: 'printf "key-protected bytes" > report.txt && echo "ARTIFACT:report.txt:the report"',
        name: 'keyed-run',
        cwd: server.dataDir,
      }),
    });
    const { id } = (await created.json()) as { id: string };

    const page = await browser.open(server.url, `/executions/${id}`);
    const keyInput = page.getByLabel('This server requires an API key:');
    await keyInput.fill('secret-key-1');
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.getByRole('heading', { name: /keyed-run/ }).waitFor();
    expect(await keyInput.count()).toBe(0);

    // A plain link cannot carry the key: the download goes through fetch with the header.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page
        .getByRole('link', { name: /report\.txt/ })
        .first()
        .click(),
    ]);
    expect(download.suggestedFilename()).toBe('report.txt');
    expect(fs.readFileSync((await download.path()) ?? '', 'utf8')).toBe('key-protected bytes');
  });
});
