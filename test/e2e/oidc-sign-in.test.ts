import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';
import { useTestServers } from '../helpers/test-server.js';
import { useBrowser } from './helpers/browser.js';

const startServer = useTestServers();
const browser = useBrowser();
let provider: TestOidcProvider | undefined;
afterEach(async () => {
  await provider?.close();
  provider = undefined;
});

/** "Sign in with SSO", then the provider's own login form and consent page, as a person does. */
async function signInWithSso(page: Page, login: string): Promise<void> {
  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('anything');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Signed in as').waitFor();
}

describe('single sign-on in the dashboard (a real oidc-provider)', () => {
  it('"Sign in with SSO" lands on the dashboard as that user: an operator by group sees Run, a viewer does not; a refusal says why', async () => {
    provider = await startOidcProvider();
    provider.accounts.set('olga', { groups: ['devs'] });
    provider.accounts.set('vic', { groups: ['sales'] });
    const server = await startServer({
      env: provider.env({ STEPFLOW_OIDC_ROLE_MAP: 'devs:operator', STEPFLOW_OIDC_DEFAULT_ROLE: 'viewer' }),
    });
    provider.serve([`${server.url}/api/auth/oidc/callback`]);

    const operator = await browser.open(server.url, '/');
    await operator.getByRole('form', { name: 'Sign in' }).waitFor();
    await signInWithSso(operator, 'olga');
    expect(new URL(operator.url()).pathname).toBe('/');
    expect(await operator.getByLabel('Signed in as').innerText()).toBe('olga (operator)');
    await operator.getByRole('link', { name: 'New execution' }).waitFor();

    const viewer = await browser.open(server.url, '/');
    await signInWithSso(viewer, 'vic');
    expect(await viewer.getByLabel('Signed in as').innerText()).toBe('vic (viewer)');
    expect(await viewer.getByRole('link', { name: 'New execution' }).count()).toBe(0);

    // Cancelled at the provider: back on the login page with the reason.
    const cancelled = await browser.open(server.url, '/');
    await cancelled.getByRole('link', { name: 'Sign in with SSO' }).click();
    await cancelled.getByRole('link', { name: '[ Cancel ]' }).click();
    await cancelled.getByRole('form', { name: 'Sign in' }).waitFor();
    expect(await cancelled.getByRole('alert').innerText()).toBe(
      'the identity provider did not sign you in (access denied: End-User aborted interaction)',
    );
    expect(new URL(cancelled.url()).search).toBe('');
  });
});
