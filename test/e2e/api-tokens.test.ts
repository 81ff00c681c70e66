import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { liveHubOf } from '../../src/server/live/live-hub.js';
import { useTestServers } from '../helpers/test-server.js';
import { useBrowser } from './helpers/browser.js';

const startServer = useTestServers();
const browser = useBrowser();
const PASSWORD = 'correct horse battery';

async function signIn(page: Page, name: string): Promise<void> {
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByLabel('User name').fill(name);
  await form.getByLabel('Password').fill(PASSWORD);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Signed in as').waitFor();
}

describe('API tokens and users in the dashboard', () => {
  it('a user creates a token and sees its secret once, copies it, it works, then revokes it; an admin changes her role, then disables her: her open dashboard asks to sign in', async () => {
    const server = await startServer();
    await server.stepflow.app.users.add({ name: 'root', role: 'admin', password: PASSWORD });
    await server.stepflow.app.users.add({ name: 'alice', role: 'operator', password: PASSWORD });
    const bearer = (secret: string) =>
      fetch(`${server.url}/api/executions`, { headers: { authorization: `Bearer ${secret}` } });

    const page = await browser.open(server.url, '/');
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page.on('dialog', (dialog) => void dialog.accept());
    await signIn(page, 'alice');
    // An operator has tokens but does not manage users.
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByRole('heading', { name: 'API tokens' }).waitFor();
    await page.getByText('No tokens yet.').waitFor();

    const form = page.getByRole('form', { name: 'New token' });
    await form.getByLabel('Name').fill('laptop');
    await form.getByRole('button', { name: 'Create token' }).click();
    const shown = page.getByRole('status', { name: 'New token secret' });
    const secret = (await shown.locator('code').innerText()).trim();
    expect(secret).toMatch(/^sft_[\w-]{43}$/);
    await shown.getByRole('button', { name: 'Copy' }).click();
    await shown.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    expect((await bearer(secret)).status).toBe(200);

    // Once: gone after Done, and not shown again after a reload.
    await shown.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByText(secret).count()).toBe(0);
    await page.reload();
    const row = page.getByRole('row', { name: /laptop/ });
    await row.waitFor();
    expect(await page.content()).not.toContain(secret.slice(4));
    expect(await row.innerText()).toContain('active');
    // Used once (the request above): the last-used cell says when, not "never".
    expect(await row.locator('td').nth(2).innerText()).not.toBe('never');

    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.locator('tr[data-state="revoked"]').waitFor();
    expect((await bearer(secret)).status).toBe(401);

    const admin = await browser.open(server.url, '/');
    await signIn(admin, 'root');
    await admin.getByRole('link', { name: 'Users' }).click();
    await admin.getByRole('heading', { name: 'Users' }).waitFor();
    await admin.getByLabel('Role of alice').selectOption('viewer');
    await expect
      .poll(async () => (await server.stepflow.app.users.list()).find((u) => u.name === 'alice')?.role)
      .toBe('viewer');

    // Disabled while watching the dashboard: the server closes her live feed, and her page asks
    // her to sign in without a reload.
    await page.getByRole('link', { name: 'Dashboard' }).first().click();
    await expect.poll(() => liveHubOf(server.app.server)?.stats().subscriptions).toBeGreaterThan(0);
    await admin.getByRole('row', { name: /alice/ }).getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
  });
});
