import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ServerOptions } from './server-options.js';
import type { RouteAccess } from './route-access.js';
import { isLoopbackHost } from './server-options.js';

export type GuardVerdict =
  { ok: true } | { ok: false; status: 401 | 403; code: 'unauthorized' | 'forbidden'; message: string };

const OK: GuardVerdict = { ok: true };
const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '[::1]', '::1'];

/** What the guard needs to know of a request, HTTP and WebSocket upgrade alike. */
export interface GuardInput {
  method: string;
  headers: IncomingHttpHeaders;
  /** The access of the route the request matched (see route-access.ts), never its URL text. */
  access: RouteAccess;
  upgrade?: boolean;
}

/**
 * The checks every request passes, HTTP and WebSocket upgrade alike:
 * - Host, while listening on loopback: defeats DNS rebinding (a page on evil.example that
 *   resolves to 127.0.0.1 sends `Host: evil.example`).
 * - Origin, on state-changing requests and upgrades: a foreign page may not drive the API or
 *   hijack the WebSocket with the user's browser. Same origin means same scheme and host.
 * - Bearer token, when keys are configured, on every route not declared public, compared in
 *   constant time.
 */
export function createRequestGuard(options: ServerOptions): { check(input: GuardInput): GuardVerdict } {
  const loopback = isLoopbackHost(options.host);
  const allowedHosts = new Set([...DEFAULT_HOSTS, ...options.allowedHosts.map((h) => h.toLowerCase())]);
  const allowedOrigins = new Set(options.allowedOrigins.map((o) => o.toLowerCase().replace(/\/$/, '')));
  const keyDigests = options.apiKeys.map(digest);
  const workerDigests = options.workerTokens.map(digest);

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

  const tokenOk = (
    authorization: string | undefined,
    protocols: string | undefined,
    accepted: readonly Buffer[],
  ): boolean => {
    if (accepted.length === 0) return true;
    const token = bearerToken(authorization) ?? tokenFromProtocols(protocols);
    if (token === undefined) return false;
    const candidate = digest(token);
    let match = false;
    // Compare against every key (no early exit), so timing says nothing about which matched.
    for (const key of accepted) match = timingSafeEqual(candidate, key) || match;
    return match;
  };
  // Worker routes take an API key or a worker token; the worker token nothing else (docs/WORKERS.md).
  const workerAccepted = [...keyDigests, ...workerDigests];

  return {
    check({ method, headers, access, upgrade = false }) {
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
      if (access === 'worker' && !tokenOk(headers.authorization, undefined, workerAccepted)) {
        return { ok: false, status: 401, code: 'unauthorized', message: 'missing or invalid bearer token' };
      }
      if (
        access === 'protected' &&
        !tokenOk(headers.authorization, headers['sec-websocket-protocol'], keyDigests)
      ) {
        return { ok: false, status: 401, code: 'unauthorized', message: 'missing or invalid bearer token' };
      }
      return OK;
    },
  };
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
function requestScheme(headers: IncomingHttpHeaders, trustProxy: boolean): string {
  if (!trustProxy) return 'http';
  const forwarded = headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return first === 'https' ? 'https' : 'http';
}
