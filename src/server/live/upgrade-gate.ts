import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { ERROR_CODES } from '../../core/errors.js';
import { LIVE_PATH, LIVE_SUBPROTOCOL } from '../../protocol/live-messages.js';
import { errorBody } from '../http-errors.js';
import type { createRequestGuard } from '../request-guard.js';

export type RequestGuard = ReturnType<typeof createRequestGuard>;

type UpgradeVerdict = { ok: true } | { ok: false; status: number; code: string; message: string };

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
  /** `request`: the upgrade, whose credentials the hub checks again later (live-hub.ts). */
  onConnection(ws: WebSocket, request: IncomingMessage): void;
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
    if (!isLivePath(request)) {
      // Another listener may serve that path; when there is none, say so instead of hanging.
      if (server.listenerCount('upgrade') === 1) refuseUnknownPath(socket, request.url ?? '/');
      return;
    }
    checkUpgrade(request, options.guard).then(
      (verdict) => {
        if (!verdict.ok) return refuseUpgrade(socket, verdict.status, verdict.code, verdict.message);
        const refusal = options.refusal();
        if (refusal !== undefined) return refuseUpgrade(socket, 503, ERROR_CODES.CONFLICT, refusal);
        wss.handleUpgrade(request, socket, head, (ws) => options.onConnection(ws, request));
      },
      (error: unknown) => {
        // The session could not be read (the store is down): refuse, never let it through.
        log.error({ err: error }, 'live: could not check an upgrade');
        refuseUpgrade(socket, 503, ERROR_CODES.STORE_UNAVAILABLE, 'could not check credentials');
      },
    );
  };
  server.on('upgrade', onUpgrade);
  return {
    stopAccepting() {
      server.off('upgrade', onUpgrade);
      wss.close();
    },
  };
}

/** Whether an upgrade is for the live endpoint. The test is exact, so an encoded or doubled
 * variant of its path is simply not ours (404), never a way around the credentials. */
function isLivePath(request: IncomingMessage): boolean {
  return (request.url ?? '/').split('?', 1)[0] === LIVE_PATH;
}

/**
 * Decides whether an upgrade to the live endpoint may become a live connection: the same
 * Host/Origin/credential checks as every API request (Fastify's hooks never see upgrades). The live
 * feed carries runs and jobs: a caller needs `runs:read` (every role has it).
 */
export async function checkUpgrade(request: IncomingMessage, guard: RequestGuard): Promise<UpgradeVerdict> {
  const verdict = await guard.check({
    method: request.method ?? 'GET',
    headers: request.headers,
    access: 'runs:read',
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
