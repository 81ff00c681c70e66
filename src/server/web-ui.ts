import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StepflowApp } from './build-server.js';

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
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Paths that belong to the API, never to the dashboard: an unknown one is a JSON 404. */
const API_PREFIXES = ['/api/', '/api?', '/ws', '/docs', '/metrics'];
const isApiPath = (url: string): boolean => url === '/api' || API_PREFIXES.some((p) => url.startsWith(p));

export async function registerWebUi(app: StepflowApp, root: string = DEFAULT_ROOT): Promise<void> {
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    if (!isApiPath(request.url)) {
      reply.header('content-security-policy', DASHBOARD_CSP);
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'same-origin');
    }
  });

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
