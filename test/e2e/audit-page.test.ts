import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { useBrowser } from './helpers/browser.js';

// Temp dirs first: hooks run in reverse, so the servers are closed before their dirs go.
const tempDir = useTempDirs();
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

describe('the Audit page (admins)', () => {
  it('lists who did what newest first, filters by actor, loads more, and links to the run, which names who started it', async () => {
    const server = await startServer();
    const { users } = server.stepflow.app;
    await users.add({ name: 'carol', role: 'admin', password: PASSWORD });
    await users.add({ name: 'otto', role: 'operator', password: PASSWORD });
    // Older entries, enough for a second page.
    for (let i = 0; i < 55; i++) {
      server.stepflow.app.audit.record({
        actorKind: 'api-key',
        actor: 'api-key',
        token: null,
        ip: '10.0.0.1',
        via: 'api',
        action: 'job.update',
        objectKind: 'job',
        objectId: `job-${i}`,
        outcome: 'ok',
        errorCode: null,
      });
    }

    // The operator signs in and starts a run from the dashboard.
    const operator = await browser.open(server.url, '/new');
    await signIn(operator, 'otto');
    expect(await operator.getByRole('link', { name: 'Audit', exact: true }).count()).toBe(0);
    const form = operator.getByRole('form', { name: 'New execution' });
    await form.getByLabel('Command', { exact: true }).fill('echo audited');
    await form.getByLabel('Name', { exact: true }).fill('audited-run');
    await form.getByLabel('Working directory', { exact: true }).fill(tempDir());
    await operator.getByRole('button', { name: 'Start execution' }).click();
    await operator.waitForURL(/\/executions\/[0-9a-z]{26}$/);
    const runId = operator.url().split('/').pop()!;

    const admin = await browser.open(server.url, '/');
    await signIn(admin, 'carol');
    await admin.getByRole('link', { name: 'Audit', exact: true }).click();
    await admin.getByRole('heading', { name: 'Audit log' }).waitFor();
    const rows = admin.locator('.audit-table tbody tr');
    // Newest first: the admin's sign-in, the run, the operator's sign-in, then the older entries.
    await expect.poll(() => rows.count()).toBe(50);
    const cells = async (n: number) => (await rows.nth(n).locator('td').allInnerTexts()).slice(1, 5);
    expect(await cells(0)).toEqual(['carol', '127.0.0.1', 'auth.login', 'carol']);
    expect(await cells(1)).toEqual(['otto', '127.0.0.1', 'run.start', runId]);
    expect(await cells(2)).toEqual(['otto', '127.0.0.1', 'auth.login', 'otto']);
    await admin.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => rows.count()).toBe(58);
    expect(await admin.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    const filters = admin.getByRole('search', { name: 'Filter the audit log' });
    await filters.getByLabel('Actor').fill('otto');
    await filters.getByRole('button', { name: 'Apply' }).click();
    await admin.waitForURL(/[?&]actor=otto/);
    await expect.poll(() => rows.count()).toBe(2);

    await rows.nth(0).getByRole('link', { name: runId }).click();
    await admin.getByRole('heading', { name: 'audited-run' }).waitFor();
    expect(await admin.locator('.fact', { hasText: 'Started by' }).locator('dd').textContent()).toBe('otto');
  });
});
