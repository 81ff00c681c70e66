import { positiveFromEnv } from '../config.js';
import { ERROR_CODES, StepflowError, validationError } from '../core/errors.js';
import type { SessionPolicy } from '../app/users.js';
import { DEFAULT_LOGIN_RATE_LIMIT, type LoginRateLimitOptions } from './login-rate-limit.js';
import { loadOidcSettings, type OidcSettings } from './oidc/oidc-settings.js';

/** How `stepflow server` listens and whom it lets in. */
export interface ServerOptions {
  host: string;
  port: number;
  /** Bearer keys accepted on every API and WebSocket request; empty = authentication off. */
  apiKeys: string[];
  /**
   * Tokens of `stepflow worker` processes (STEPFLOW_WORKER_TOKEN, comma-separated): accepted only
   * on what a worker needs (claim, heartbeat, report: `worker` routes), never on the rest of the API.
   */
  workerTokens: string[];
  /** Extra Host header names accepted while listening on loopback (besides localhost, 127.0.0.1, [::1]). */
  allowedHosts: string[];
  /** Extra Origins allowed to open the WebSocket / send state-changing requests (besides same-origin). */
  allowedOrigins: string[];
  /** Set by `--unsafe-no-auth`: allows a non-loopback bind without authentication. */
  unsafeNoAuth: boolean;
  logLevel: string;
  /** Largest accepted request body, bytes. */
  bodyLimit: number;
  /** A running remote execution not heard from for this long is marked `interrupted` (docs/REMOTE.md). */
  remoteLeaseMs: number;
  /**
   * Believe `X-Forwarded-Proto`/`-For` (STEPFLOW_TRUST_PROXY): only behind a reverse proxy that
   * sets them, since any client could send them otherwise.
   */
  trustProxy: boolean;
  /** Session lengths (STEPFLOW_SESSION_IDLE_SECONDS, STEPFLOW_SESSION_MAX_SECONDS; docs/USERS.md). */
  sessions: SessionPolicy;
  /** Failed sign-ins allowed per window, per address and per user name. */
  loginRateLimit: LoginRateLimitOptions;
  /**
   * STEPFLOW_ADMIN_PASSWORD: on a start with no users, `admin` is created with it. Never logged.
   */
  adminPassword?: string;
  /**
   * A non-loopback address without a key: allowed only if users exist once the store is open
   * (start-server.ts refuses then, with {@link unsafeBindMessage}).
   */
  bindNeedsUsers: boolean;
  /**
   * OIDC single sign-on (`STEPFLOW_OIDC_*`, docs/USERS.md). When set, signing in is on even
   * before any user exists (the first ones come from the provider), so any address may be bound.
   */
  oidc?: OidcSettings;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

const list = (raw: string | undefined): string[] =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** Reads the environment and the command-line flags (flags win), and refuses unsafe combinations. */
export function loadServerOptions(
  env: NodeJS.ProcessEnv,
  flags: {
    host?: string;
    port?: string;
    unsafeNoAuth?: boolean;
    /** Defer the non-loopback refusal to the open store: users may exist (`stepflow server`). */
    usersMayAuthenticate?: boolean;
  } = {},
): ServerOptions {
  // A blank variable (as compose files often leave them) means unset.
  const host = flags.host ?? (env.STEPFLOW_HOST || '127.0.0.1');
  const rawPort = flags.port ?? (env.STEPFLOW_PORT || '8080');
  const port = Number(rawPort);
  // Number('') is 0: only digits count, or `--port ''` would pick a random port.
  if (!/^\d+$/.test(rawPort) || port > 65535) {
    throw new StepflowError(
      ERROR_CODES.USAGE,
      `port must be a whole number from 0 to 65535, got ${JSON.stringify(rawPort)}`,
    );
  }
  const apiKeys = [...list(env.STEPFLOW_API_KEY), ...list(env.STEPFLOW_API_KEYS)];
  const authEnabled = env.STEPFLOW_AUTH_ENABLED === 'true' || apiKeys.length > 0;
  if (env.STEPFLOW_AUTH_ENABLED === 'true' && apiKeys.length === 0) {
    throw validationError(
      'STEPFLOW_AUTH_ENABLED=true needs at least one key in STEPFLOW_API_KEY or STEPFLOW_API_KEYS',
    );
  }
  const unsafeNoAuth = flags.unsafeNoAuth ?? false;
  const adminPassword = env.STEPFLOW_ADMIN_PASSWORD || undefined;
  const oidc = loadOidcSettings(env);
  const bindNeedsUsers = !authEnabled && oidc === undefined && !isLoopbackHost(host) && !unsafeNoAuth;
  // Users live in the store, which is not open yet: `stepflow server` checks them once it is.
  if (bindNeedsUsers && !flags.usersMayAuthenticate) {
    throw new StepflowError(ERROR_CODES.USAGE, unsafeBindMessage(host));
  }
  return {
    host,
    port,
    apiKeys,
    workerTokens: list(env.STEPFLOW_WORKER_TOKEN),
    allowedHosts: list(env.STEPFLOW_ALLOWED_HOSTS),
    allowedOrigins: list(env.STEPFLOW_ALLOWED_ORIGINS),
    unsafeNoAuth,
    logLevel: (env.STEPFLOW_LOG_LEVEL ?? 'info').toLowerCase(),
    bodyLimit: 10 * 1024 * 1024,
    remoteLeaseMs:
      positiveFromEnv(env, 'STEPFLOW_REMOTE_LEASE_SECONDS', 300, {
        integer: false,
        what: 'a number of seconds above 0',
      }) * 1000,
    trustProxy: booleanFromEnv(env, 'STEPFLOW_TRUST_PROXY'),
    sessions: {
      idleMs:
        positiveFromEnv(env, 'STEPFLOW_SESSION_IDLE_SECONDS', 8 * 3600, {
          integer: false,
          what: 'a number of seconds above 0',
        }) * 1000,
      maxMs:
        positiveFromEnv(env, 'STEPFLOW_SESSION_MAX_SECONDS', 7 * 24 * 3600, {
          integer: false,
          what: 'a number of seconds above 0',
        }) * 1000,
    },
    loginRateLimit: DEFAULT_LOGIN_RATE_LIMIT,
    ...(adminPassword === undefined ? {} : { adminPassword }),
    bindNeedsUsers,
    ...(oidc === undefined ? {} : { oidc }),
  };
}

/** Why a server will not listen on `host` as configured. */
export function unsafeBindMessage(host: string): string {
  return (
    `refusing to listen on ${host} without authentication: anyone who can reach it could run commands. ` +
    'Add a user (stepflow users add, or STEPFLOW_ADMIN_PASSWORD), set STEPFLOW_API_KEY, ' +
    'configure single sign-on (STEPFLOW_OIDC_ISSUER), ' +
    'or pass --unsafe-no-auth if the network is trusted.'
  );
}

function booleanFromEnv(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'false' || raw === '0' || raw === 'no') return false;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  throw new StepflowError(
    ERROR_CODES.USAGE,
    `${name} must be true or false, got ${JSON.stringify(env[name])}`,
  );
}
