import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StepflowApp } from './build-server.js';

/** Liveness probes come every few seconds forever: their lines would drown the rest at info. */
const PROBE_ROUTES = new Set(['/api/health']);

/**
 * One line per request once it is answered, at info: method, route, status and time — what an
 * operator greps at 3 a.m. The route is the matched pattern (`/api/executions/:id`), never the raw
 * URL, so query strings (tokens, search terms) stay out of the log. Successful probes of
 * `/api/health` log at debug. Fastify's own two lines per request are off (build-server.ts).
 */
export function registerAccessLog(app: StepflowApp): void {
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? '(no route)';
    const status = reply.statusCode;
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    const entry = { method: request.method, route, status, ms };
    const message = `${request.method} ${route} ${status} ${ms} ms`;
    if (status < 400 && PROBE_ROUTES.has(route)) request.log.debug(entry, message);
    else request.log.info(entry, message);
  });
}
