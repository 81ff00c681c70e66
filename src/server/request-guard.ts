import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { allows, isWorkerPermission, type Principal } from '../core/access.js';
import type { SessionPolicy, Users } from '../app/users.js';
import { API_TOKEN_PREFIX, type ApiTokens } from '../app/api-tokens.js';
import type { ServerOptions } from './server-options.js';
import type { RouteAccess } from './route-access.js';
import { isLoopbackHost } from './server-options.js';
import { csrfOk, sessionTokenOf } from './session-cookie.js';

export type GuardVerdict =
  | { ok: true; principal: Principal; sessionToken?: string }
  | {
      ok: false;
      status: 401 | 403;
      code: 'unauthorized' | 'forbidden';
      message: string;
      details?: { signIn: boolean };
      /** Who was refused, when the credentials were good (the audit log names them). */
      principal?: Principal;
    };

const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '[::1]', '::1'];
const LOCAL: Principal = { kind: 'local' };

/** What the guard needs to know of a request, HTTP and WebSocket upgrade alike. */
export interface GuardInput {
  method: string;
  headers: IncomingHttpHeaders;
  /** What the route the request matched needs (see route-access.ts), never its URL text. */
  access: RouteAccess;
  upgrade?: boolean;
}

/** What the guard asks the application layer: whether users exist, and whose a session is. */
export type GuardUsers = Pick<Users, 'any' | 'authenticate'>;

/** What the guard asks of users' API tokens: whose a secret is. */
export type GuardTokens = Pick<ApiTokens, 'authenticate'>;

/**
 * The checks every request passes, HTTP and WebSocket upgrade alike, once (docs/USERS.md):
 * - Host, while listening on loopback: defeats DNS rebinding (a page on evil.example that
 *   resolves to 127.0.0.1 sends `Host: evil.example`).
 * - Origin, on state-changing requests and upgrades: a foreign page may not drive the API or
 *   hijack the WebSocket with the user's browser. Same origin means same scheme and host.
 * - Who is calling: a bearer API key (an admin), the worker token (worker routes only), a user's
 *   API token (`sft_…`, read from the store on every request: revoked is refused at once), or a
 *   session cookie (a user and its role); keys compared in constant time. A cookie-authenticated
 *   state-changing request must also carry its CSRF token (session-cookie.ts).
 * - Whether that caller may (core `allows`): 401 when credentials are missing or invalid, 403
 *   when the caller's role may not. With no users and no key the server asks for nothing, as it
 *   did before users existed (it then listens on loopback only, server-options.ts).
 */
export function createRequestGuard(
  options: ServerOptions,
  users: GuardUsers,
  tokens: GuardTokens,
): { check(input: GuardInput): Promise<GuardVerdict> } {
  const loopback = isLoopbackHost(options.host);
  const allowedHosts = new Set([...DEFAULT_HOSTS, ...options.allowedHosts.map((h) => h.toLowerCase())]);
  const allowedOrigins = new Set(options.allowedOrigins.map((o) => o.toLowerCase().replace(/\/$/, '')));
  const keyDigests = options.apiKeys.map(digest);
  const workerDigests = options.workerTokens.map(digest);
  const policy: SessionPolicy = options.sessions;

  const hostOk = (hostHeader: string | undefined): boolean => {
    if (!loopback) return true;
    if (!hostHeader) return false;
    return allowedHosts.has(hostnameOf(hostHeader));
  };

  const originOk = (origin: string | undefined, hostHeader: string | undefined, scheme: string): boolean => {
    if (origin === undefined) return true; // not a browser, or a same-origin GET
    const normalized = origin.toLowerCase().replace(/\/$/, '');
    if (allowedOrigins.has(normalized)) return true;
    if (!hostHeader) return false;
    try {
      const parsed = new URL(normalized);
      // The scheme counts: a page on http://host must not drive the API served as https://host.
      return parsed.protocol === `${scheme}:` && parsed.host === hostHeader.toLowerCase();
    } catch {
      return false; // "null" and garbage origins are foreign
    }
  };

  const matches = (token: string, accepted: readonly Buffer[]): boolean => {
    const candidate = digest(token);
    let match = false;
    // Compare against every key (no early exit), so timing says nothing about which matched.
    for (const key of accepted) match = timingSafeEqual(candidate, key) || match;
    return match;
  };

  /**
   * The caller's credentials: a principal, `invalid` (a credential that is not, or no longer,
   * good: an unknown key, an ended session), or none. The worker token counts on worker routes only.
   */
  const identify = async (
    headers: IncomingHttpHeaders,
    workerRoute: boolean,
  ): Promise<{ principal?: Principal; sessionToken?: string; invalid?: true }> => {
    const token = bearerToken(headers.authorization) ?? tokenFromProtocols(headers['sec-websocket-protocol']);
    if (token !== undefined) {
      if (keyDigests.length > 0 && matches(token, keyDigests)) return { principal: { kind: 'api-key' } };
      if (workerRoute && workerDigests.length > 0 && matches(token, workerDigests)) {
        return { principal: { kind: 'worker' } };
      }
      if (token.startsWith(API_TOKEN_PREFIX)) {
        const user = await tokens.authenticate(token);
        if (user !== undefined) return { principal: user };
      }
      return { invalid: true };
    }
    const sessionToken = sessionTokenOf(headers);
    if (sessionToken === undefined) return {};
    const user = await users.authenticate(sessionToken, policy);
    return user === undefined ? { invalid: true } : { principal: user, sessionToken };
  };

  return {
    async check({ method, headers, access, upgrade = false }) {
      const host = headers.host;
      const scheme = requestScheme(headers, options.trustProxy);
      if (!hostOk(host)) {
        return {
          ok: false,
          status: 403,
          code: 'forbidden',
          message: `Host ${JSON.stringify(host ?? '')} is not allowed`,
        };
      }
      const changesState = upgrade || !['GET', 'HEAD', 'OPTIONS'].includes(method);
      if (changesState && !originOk(headers.origin, host, scheme)) {
        return {
          ok: false,
          status: 403,
          code: 'forbidden',
          message: `Origin ${JSON.stringify(headers.origin)} is not allowed`,
        };
      }
      if (access === 'public') return { ok: true, principal: LOCAL };
      const workerRoute = isWorkerPermission(access);
      // Once this process has seen a user, `any` answers from memory. Before that, a store that
      // cannot be read (closed, down) counts as no users: the mode the server was in (on loopback:
      // a non-loopback bind needs users or keys at start), and health still answers its 503.
      // With single sign-on configured, signing in is on from the start: users come from it.
      const usersExist = options.oidc !== undefined || (await users.any().catch(() => false));
      // Credentials are asked for once a key or a user exists; worker routes also with a worker token.
      const required = keyDigests.length > 0 || usersExist || (workerRoute && workerDigests.length > 0);
      if (!required) return { ok: true, principal: LOCAL };
      const caller = await identify(headers, workerRoute);
      if (caller.principal === undefined) {
        return {
          ok: false,
          status: 401,
          code: 'unauthorized',
          message: usersExist ? 'sign in, or send a valid bearer token' : 'missing or invalid bearer token',
          ...(usersExist ? { details: { signIn: true } } : {}),
        };
      }
      const { principal } = caller;
      if (access !== 'signed-in' && !allows(principal, access)) {
        return {
          ok: false,
          status: 403,
          code: 'forbidden',
          message: `${describe(principal)} may not do this (it needs ${access})`,
          principal,
        };
      }
      // A browser sends the cookie whoever made it send the request: a state change riding on a
      // session must prove it comes from our page. Upgrades only read (and were Origin-checked).
      if (
        caller.sessionToken !== undefined &&
        changesState &&
        !upgrade &&
        !csrfOk(headers, caller.sessionToken)
      ) {
        return {
          ok: false,
          status: 403,
          code: 'forbidden',
          message: 'missing or wrong CSRF token (x-stepflow-csrf): reload the page',
          principal,
        };
      }
      return {
        ok: true,
        principal,
        ...(caller.sessionToken === undefined ? {} : { sessionToken: caller.sessionToken }),
      };
    },
  };
}

function describe(principal: Principal): string {
  switch (principal.kind) {
    case 'user':
      return `${principal.name} (${principal.role})`;
    case 'worker':
      return 'the worker token';
    default:
      return 'this caller';
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** Browsers cannot set headers on a WebSocket: they may pass `bearer.<token>` as a subprotocol. */
function tokenFromProtocols(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const protocol of header.split(',')) {
    const trimmed = protocol.trim();
    if (trimmed.startsWith('bearer.')) return trimmed.slice('bearer.'.length);
  }
  return undefined;
}

function hostnameOf(hostHeader: string): string {
  const lower = hostHeader.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.lastIndexOf(':');
  return colon >= 0 ? lower.slice(0, colon) : lower;
}

/**
 * The scheme a client used to reach us. We speak plain HTTP; behind a trusted TLS-terminating
 * proxy the first `X-Forwarded-Proto` says what the browser saw (as Fastify's `request.protocol`).
 */
export function requestScheme(headers: IncomingHttpHeaders, trustProxy: boolean): string {
  if (!trustProxy) return 'http';
  const forwarded = headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https' ? 'https' : 'http';
}
