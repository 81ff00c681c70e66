import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/** A browser's cookies, enough for these hosts (names do not collide between StepFlow and the provider). */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const gone = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || pair.slice(eq + 1) === '';
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1));
    }
  }
  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
  set(name: string, value: string): void {
    this.cookies.set(name, value);
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: this.header() },
    });
    this.take(response);
    return response;
  }
}

interface Landing {
  /** Where StepFlow sent the browser after its callback: `/` or `/?sso_error=…`. */
  location: string;
  error: string | null;
  jar: CookieJar;
  /** The provider's redirect to StepFlow's callback, as the browser followed it. */
  callbackUrl: string;
  /** The flow cookie the browser sent with it. */
  flowCookie: string | undefined;
}

/**
 * What a browser does for "Sign in with SSO": StepFlow's login redirect, the provider's login
 * form (and consent), the redirect back to StepFlow's callback. `abort`: cancels at the provider.
 */
async function signInWithSso(
  server: TestServer,
  login: string,
  { jar = new CookieJar(), abort = false }: { jar?: CookieJar; abort?: boolean } = {},
): Promise<Landing> {
  let response = await jar.fetch(`${server.url}/api/auth/oidc/login`);
  const callback = `${server.url}/api/auth/oidc/callback`;
  for (let hop = 0; hop < 20; hop++) {
    if (response.status >= 300 && response.status < 400) {
      const next = new URL(response.headers.get('location') ?? '', response.url || provider.issuer).href;
      if (next.startsWith(callback)) return finishAt(jar, next);
      response = await jar.fetch(next);
      continue;
    }
    const page = await response.text();
    expect(response.status, page).toBe(200);
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    expect(action, page).toBeDefined();
    const target = new URL(action ?? '', provider.issuer);
    if (abort) {
      // The provider's "[ Cancel ]" link.
      const cancel = /<a href="([^"]+)">\[ Cancel \]<\/a>/.exec(page)?.[1];
      expect(cancel, page).toBeDefined();
      response = await jar.fetch(new URL(cancel ?? '', provider.issuer).href);
      continue;
    }
    const fields = new URLSearchParams();
    for (const match of page.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) {
      fields.set(match[1] ?? '', match[2] ?? '');
    }
    if (page.includes('name="login"')) {
      fields.set('login', login);
      fields.set('password', 'anything');
    }
    response = await jar.fetch(target.href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fields.toString(),
    });
  }
  throw new Error('the sign-in did not come back to StepFlow');
}

async function finishAt(jar: CookieJar, callbackUrl: string): Promise<Landing> {
  const flowCookie = jar.get('stepflow_oidc');
  const response = await jar.fetch(callbackUrl);
  expect(response.status, await response.clone().text()).toBe(302);
  const location = response.headers.get('location') ?? '';
  return {
    location,
    error: new URL(location, 'http://x').searchParams.get('sso_error'),
    jar,
    callbackUrl,
    flowCookie,
  };
}

async function me(
  server: TestServer,
  jar: CookieJar,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await jar.fetch(`${server.url}/api/auth/me`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

let provider: TestOidcProvider;
/** Groups map admins → admin, devs → operator; others get the default, viewer. */
let server: TestServer;
/** STEPFLOW_OIDC_DEFAULT_ROLE=none: only mapped groups get in. */
let strict: TestServer;

beforeAll(async () => {
  provider = await startOidcProvider();
  server = await startTestServer({
    env: provider.env({ STEPFLOW_OIDC_ROLE_MAP: 'admins:admin,devs:operator' }),
  });
  strict = await startTestServer({
    env: provider.env({ STEPFLOW_OIDC_ROLE_MAP: 'devs:operator', STEPFLOW_OIDC_DEFAULT_ROLE: 'none' }),
  });
  provider.serve([server, strict].map((s) => `${s.url}/api/auth/oidc/callback`));
});

afterAll(async () => {
  await server?.close();
  await strict?.close();
  await provider?.close();
});

describe('OIDC single sign-on (a real oidc-provider)', () => {
  it('with SSO configured and no user yet, signing in is on: the API asks for it and names SSO', async () => {
    const anonymous = await me(server, new CookieJar());
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ error: { code: 'unauthorized', details: { signIn: true } } });
    const providers = await fetch(`${server.url}/api/auth/providers`);
    expect(await providers.json()).toEqual({ sso: { loginUrl: '/api/auth/oidc/login' } });
  });

  it('a first sign-in creates the user with the default role and opens a session; it has no password', async () => {
    provider.accounts.set('vic', { groups: ['sales'] });
    const landing = await signInWithSso(server, 'vic');
    expect(landing).toMatchObject({ location: '/', error: null });
    expect(landing.jar.get('stepflow_session')).toBeDefined();
    expect((await me(server, landing.jar)).body).toMatchObject({ kind: 'user', name: 'vic', role: 'viewer' });
    // No password: the password sign-in refuses it, as any wrong password.
    const password = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'vic', password: 'whatever-it-is' }),
    });
    expect(password.status).toBe(401);
  });

  it('the role follows the group at every sign-in; a rename at the provider keeps the same user', async () => {
    provider.accounts.set('olga', { groups: ['staff', 'devs'] });
    const first = await signInWithSso(server, 'olga');
    expect((await me(server, first.jar)).body).toMatchObject({ name: 'olga', role: 'operator' });
    provider.accounts.set('olga', { name: 'olga.smith', groups: ['admins'] });
    const second = await signInWithSso(server, 'olga');
    expect((await me(server, second.jar)).body).toMatchObject({ name: 'olga', role: 'admin' });
    // The role counts for every session of hers at once, as a role change by the CLI does.
    expect((await me(server, first.jar)).body).toMatchObject({ name: 'olga', role: 'admin' });
    const names = (await server.stepflow.app.users.list()).map((user) => user.name);
    expect(names.filter((name) => name.startsWith('olga'))).toEqual(['olga']);
  });

  it('a callback whose state is not the one this browser started is refused, and one without the flow cookie', async () => {
    provider.accounts.set('mallory', {});
    // An attacker's own finished sign-in, sent to someone else's browser (login CSRF): no flow cookie.
    const attacker = await signInWithSso(server, 'mallory');
    expect(attacker.error).toBeNull();
    const victim = new CookieJar();
    const stolen = await victim.fetch(attacker.callbackUrl);
    const stolenError = new URL(stolen.headers.get('location') ?? '', server.url).searchParams.get(
      'sso_error',
    );
    expect(stolenError).toBe('the sign-in expired or was started in another browser: sign in again');
    expect(victim.get('stepflow_session')).toBeUndefined();

    // This browser's flow cookie, with a forged state in the callback.
    const jar = new CookieJar();
    const start = await jar.fetch(`${server.url}/api/auth/oidc/login`);
    expect(start.status).toBe(302);
    const forged = await jar.fetch(`${server.url}/api/auth/oidc/callback?code=abc&state=forged-state`);
    const forgedError = new URL(forged.headers.get('location') ?? '', server.url).searchParams.get(
      'sso_error',
    );
    expect(forgedError).toBe('this sign-in does not match the one this browser started: sign in again');
    expect(jar.get('stepflow_session')).toBeUndefined();
    expect(jar.get('stepflow_oidc')).toBeUndefined();
  });

  it('a callback replayed (with its flow cookie) is refused', async () => {
    provider.accounts.set('rita', {});
    const landing = await signInWithSso(server, 'rita');
    expect(landing.error).toBeNull();
    expect(landing.jar.get('stepflow_oidc')).toBeUndefined();
    const replayJar = new CookieJar();
    replayJar.set('stepflow_oidc', landing.flowCookie ?? '');
    const replay = await replayJar.fetch(landing.callbackUrl);
    expect(new URL(replay.headers.get('location') ?? '', server.url).searchParams.get('sso_error')).toBe(
      'this sign-in was already used: sign in again',
    );
    expect(replayJar.get('stepflow_session')).toBeUndefined();
  });

  it('with default role none, a user whose groups map to nothing is refused, saying why; no user is created', async () => {
    provider.accounts.set('nina', { groups: ['sales'] });
    const landing = await signInWithSso(strict, 'nina');
    expect(landing.error).toBe(
      'nina may not use StepFlow: no value of the "groups" claim is mapped to a role (STEPFLOW_OIDC_ROLE_MAP) ' +
        'and STEPFLOW_OIDC_DEFAULT_ROLE is none. Ask an admin for access',
    );
    expect(landing.jar.get('stepflow_session')).toBeUndefined();
    expect((await strict.stepflow.app.users.list()).map((user) => user.name)).not.toContain('nina');
    provider.accounts.set('nina', { groups: ['devs'] });
    const mapped = await signInWithSso(strict, 'nina');
    expect((await me(strict, mapped.jar)).body).toMatchObject({ name: 'nina', role: 'operator' });
  });

  it('a local user of the same name is not taken over', async () => {
    await server.stepflow.app.users.add({ name: 'lena', role: 'admin', password: 'correct horse battery' });
    provider.accounts.set('lena', { groups: ['devs'] });
    const landing = await signInWithSso(server, 'lena');
    expect(landing.error).toBe(
      'a StepFlow user named lena already exists and is not linked to this single sign-on account: it is not ' +
        'taken over. An admin can remove it (stepflow users rm lena) to let single sign-on create it',
    );
    expect(landing.jar.get('stepflow_session')).toBeUndefined();
  });

  it('cancelling at the provider comes back to the login page saying so', async () => {
    const landing = await signInWithSso(server, 'whoever', { abort: true });
    expect(landing.error).toBe(
      'the identity provider did not sign you in (access denied: End-User aborted interaction)',
    );
    expect(landing.jar.get('stepflow_session')).toBeUndefined();
  });

  it('a provider that cannot be reached: the server starts, and the login page says so', async () => {
    const unreachable = await startTestServer({
      env: { ...provider.env(), STEPFLOW_OIDC_ISSUER: 'http://127.0.0.1:1' },
    });
    try {
      const login = await fetch(`${unreachable.url}/api/auth/oidc/login`, { redirect: 'manual' });
      expect(login.status).toBe(302);
      expect(
        new URL(login.headers.get('location') ?? '', unreachable.url).searchParams.get('sso_error'),
      ).toBe('the identity provider cannot be reached: try again later, or ask an admin');
    } finally {
      await unreachable.close();
    }
  });

  it('without SSO configured, the providers say none and there is no SSO login', async () => {
    const plain = await startTestServer();
    try {
      expect(await (await fetch(`${plain.url}/api/auth/providers`)).json()).toEqual({ sso: null });
      const login = await fetch(`${plain.url}/api/auth/oidc/login`, { redirect: 'manual' });
      expect(login.status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
