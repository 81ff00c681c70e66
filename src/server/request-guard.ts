import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ServerOptions } from './server-options.js';
import { isLoopbackHost } from './server-options.js';

export type GuardVerdict =
  { ok: true } | { ok: false; status: 401 | 403; code: 'unauthorized' | 'forbidden'; message: string };

const OK: GuardVerdict = { ok: true };
const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '[::1]', '::1'];

/**
 * The checks every request passes, HTTP and WebSocket upgrade alike:
 * - Host, while listening on loopback: defeats DNS rebinding (a page on evil.example that
 *   resolves to 127.0.0.1 sends `Host: evil.example`).
 * - Origin, on state-changing requests and upgrades: a foreign page may not drive the API or
 *   hijack the WebSocket with the user's browser.
 * - Bearer token, when keys are configured, compared in constant time.
 */
export function createRequestGuard(options: ServerOptions): {
  check(input: {
    method: string;
    url: string;
    headers: IncomingHttpHeaders;
    upgrade?: boolean;
  }): GuardVerdict;
} {
  const loopback = isLoopbackHost(options.host);
  const allowedHosts = new Set([...DEFAULT_HOSTS, ...options.allowedHosts.map((h) => h.toLowerCase())]);
  const allowedOrigins = new Set(options.allowedOrigins.map((o) => o.toLowerCase().replace(/\/$/, '')));
  const keyDigests = options.apiKeys.map(digest);

  const hostOk = (hostHeader: string | undefined): boolean => {
    if (!loopback) return true;
    if (!hostHeader) return false;
    return allowedHosts.has(hostnameOf(hostHeader));
  };

  const originOk = (origin: string | undefined, hostHeader: string | undefined): boolean => {
    if (origin === undefined) return true; // not a browser, or a same-origin GET
    const normalized = origin.toLowerCase().replace(/\/$/, '');
    if (allowedOrigins.has(normalized)) return true;
    if (!hostHeader) return false;
    try {
      return new URL(normalized).host === hostHeader.toLowerCase();
    } catch {
      return false; // "null" and garbage origins are foreign
    }
  };

  const tokenOk = (authorization: string | undefined, protocols: string | undefined): boolean => {
    if (keyDigests.length === 0) return true;
    const token = bearerToken(authorization) ?? tokenFromProtocols(protocols);
    if (token === undefined) return false;
    const candidate = digest(token);
    let match = false;
    // Compare against every key (no early exit), so timing says nothing about which matched.
    for (const key of keyDigests) match = timingSafeEqual(candidate, key) || match;
    return match;
  };

  return {
    check({ method, url, headers, upgrade = false }) {
      const host = headers.host;
      if (!hostOk(host)) {
        return {
          ok: false,
          status: 403,
          code: 'forbidden',
          message: `Host ${JSON.stringify(host ?? '')} is not allowed`,
        };
      }
      const changesState = upgrade || !['GET', 'HEAD', 'OPTIONS'].includes(method);
      if (changesState && !originOk(headers.origin, host)) {
        return {
          ok: false,
          status: 403,
          code: 'forbidden',
          message: `Origin ${JSON.stringify(headers.origin)} is not allowed`,
        };
      }
      if (needsAuth(url) && !tokenOk(headers.authorization, headers['sec-websocket-protocol'])) {
        return { ok: false, status: 401, code: 'unauthorized', message: 'missing or invalid bearer token' };
      }
      return OK;
    },
  };
}

/** The dashboard's static files are public (they hold no data); everything else needs the key. */
function needsAuth(url: string): boolean {
  return (
    url.startsWith('/api') || url.startsWith('/ws') || url.startsWith('/metrics') || url.startsWith('/docs')
  );
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
