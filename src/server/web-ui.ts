import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StepflowApp } from './build-server.js';
import { makeScopePublic } from './route-access.js';

/**
 * The dashboard: Vite's build of `web/` (in `dist/web`, next to the compiled server) served on the
 * API's port. Hashed assets are cached for good; `index.html` is revalidated on every load, and
 * every client-side route (`/executions/<id>`, `/history`…) gets it so deep links and reloads work.
 *
 * The CSP forbids inline and foreign scripts: log text is rendered by React as text, and even if
 * an escaping bug slipped through, an injected `<script>` or `onerror=` would not run.
 */
const DEFAULT_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Inline style attributes only (charts and virtualized rows position elements with them).
  "style-src 'self' 'unsafe-inline'",
  // blob: for artifact previews, fetched with the API key and shown from memory.
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** JSON and text answers: nothing in them may load or run anything, or be framed. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** Paths that belong to the API, never to the dashboard: an unknown one is a JSON 404. */
const API_PREFIXES = ['/api/', '/api?', '/ws', '/docs', '/metrics'];
const isApiPath = (url: string): boolean => url === '/api' || API_PREFIXES.some((p) => url.startsWith(p));

/**
 * Security headers on every answer. Pages (the dashboard and the API reference at /docs, both
 * HTML that renders data) get the dashboard's CSP; everything else gets one that allows nothing.
 */
export function addSecurityHeaders(app: StepflowApp): void {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    // A 304 has no type: browsers merge its headers into the cached page, so it must not carry
    // the API's policy (a reload would apply `default-src 'none'` to the dashboard).
    if (reply.statusCode === 304) return;
    const page = String(reply.getHeader('content-type') ?? '').startsWith('text/html');
    reply.header('content-security-policy', page ? DASHBOARD_CSP : API_CSP);
  });
}

/**
 * The dashboard: its shell and static files are the only public routes (they hold no data); the
 * scope's onRoute hook marks every route registered here, the static plugin's included.
 */
export async function registerWebUi(app: StepflowApp, root: string = DEFAULT_ROOT): Promise<void> {
  await app.register(async (scope) => {
    makeScopePublic(scope);
    await registerDashboardRoutes(scope, root);
  });
}

async function registerDashboardRoutes(app: StepflowApp, root: string): Promise<void> {
  const built = fs.existsSync(`${root}/index.html`);
  if (!built) {
    app.get('/', { schema: { hide: true } }, (_request, reply) =>
      reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send(
          'The dashboard is not built. Run `npm run build` (the API is at /api, its reference at /docs).\n',
        ),
    );
    return;
  }

  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: false,
    wildcard: false,
    cacheControl: false,
    // The build writes .br and .gz beside each text file, and moves source maps out of this root
    // (scripts/finish-web-build.js): they stay on disk to decode a stack trace, never published.
    preCompressed: true,
    setHeaders(res, filePath) {
      res.setHeader(
        'cache-control',
        filePath.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  const sendIndex = (_request: FastifyRequest, reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').sendFile('index.html');
  app.get('/', { schema: { hide: true } }, sendIndex);

  // Client-side routes: any other GET that is not the API's gets the app shell. Fastify matches
  // static routes (API, files) before this wildcard.
  app.get('/*', { schema: { hide: true } }, (request, reply) =>
    isApiPath(request.url) || request.url.startsWith('/assets/')
      ? reply.callNotFound()
      : sendIndex(request, reply),
  );
}
