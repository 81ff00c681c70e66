import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { ERROR_CODES } from '../../core/errors.js';
import { LIVE_PATH, LIVE_SUBPROTOCOL } from '../../protocol/live-messages.js';
import { errorBody } from '../http-errors.js';
import type { createRequestGuard } from '../request-guard.js';

export type RequestGuard = ReturnType<typeof createRequestGuard>;

type UpgradeVerdict =
  | { ok: true }
  /** Not ours: another upgrade listener may want it. */
  | { ok: false; notOurs: true }
  | { ok: false; notOurs?: false; status: number; code: string; message: string };

/**
 * Turns accepted upgrades on `server` into WebSockets for `onConnection`. `refusal` names a
 * reason to answer 503 instead (shutting down, too many clients).
 */
export function listenForUpgrades(options: {
  server: Server;
  guard: RequestGuard;
  log: FastifyBaseLogger;
  maxMessageBytes: number;
  refusal(): string | undefined;
  onConnection(ws: WebSocket): void;
}): { stopAccepting(): void } {
  const { server, log } = options;
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: options.maxMessageBytes,
    perMessageDeflate: false,
    handleProtocols: selectSubprotocol,
  });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Errors on a socket being refused (the peer hung up) must not crash the process.
    socket.on('error', (error) => log.debug({ err: error }, 'live: upgrade socket error'));
    const verdict = checkUpgrade(request, options.guard);
    if (!verdict.ok) {
      if (verdict.notOurs) {
        // Another listener may serve that path; when there is none, say so instead of hanging.
        if (server.listenerCount('upgrade') === 1) refuseUnknownPath(socket, request.url ?? '/');
        return;
      }
      return refuseUpgrade(socket, verdict.status, verdict.code, verdict.message);
    }
    const refusal = options.refusal();
    if (refusal !== undefined) return refuseUpgrade(socket, 503, ERROR_CODES.CONFLICT, refusal);
    wss.handleUpgrade(request, socket, head, options.onConnection);
  };
  server.on('upgrade', onUpgrade);
  return {
    stopAccepting() {
      server.off('upgrade', onUpgrade);
      wss.close();
    },
  };
}

/**
 * Decides whether an HTTP upgrade may become a live connection: the path, then the same
 * Host/Origin/token checks as every API request (Fastify's hooks never see upgrades).
 */
function checkUpgrade(request: IncomingMessage, guard: RequestGuard): UpgradeVerdict {
  const url = request.url ?? '/';
  const path = url.split('?', 1)[0];
  if (path !== LIVE_PATH) return { ok: false, notOurs: true };
  // The live endpoint is never public; the path test above is exact, so an encoded or doubled
  // variant of it is simply not ours (404), never a way around the token.
  const verdict = guard.check({
    method: request.method ?? 'GET',
    headers: request.headers,
    access: 'protected',
    upgrade: true,
  });
  if (!verdict.ok) return verdict;
  return { ok: true };
}

/** Answers a refused upgrade with a plain HTTP response (the error body the API uses), then closes. */
function refuseUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify(errorBody(code, message));
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Connection: close',
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  if (status === 401) head.push('WWW-Authenticate: Bearer');
  socket.once('finish', () => socket.destroy());
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/** Refusal for a path nobody handles. */
function refuseUnknownPath(socket: Duplex, url: string): void {
  refuseUpgrade(socket, 404, ERROR_CODES.NOT_FOUND, `no WebSocket endpoint at ${url.split('?', 1)[0] ?? ''}`);
}

/**
 * Picks the subprotocol to answer with: ours when offered, so the `bearer.<key>` entry is never
 * echoed back; otherwise the first offered (a browser fails the handshake if none is selected).
 */
function selectSubprotocol(offered: Set<string>): string | false {
  if (offered.has(LIVE_SUBPROTOCOL)) return LIVE_SUBPROTOCOL;
  for (const protocol of offered) return protocol;
  return false;
}
