import type { HostSample } from '../../core/host.js';
import type { WorkerIdentity } from '../../core/workers.js';
import type { ClaimReply, HeartbeatReply, NoClaimReply } from '../../protocol/worker-schemas.js';

/** Why a worker request failed: `fatal` when retrying cannot help (a refused token, a bad name). */
export class WorkerRequestError extends Error {
  constructor(
    message: string,
    readonly fatal: boolean,
  ) {
    super(message);
  }
}

export interface WorkerClient {
  /** Long-polls for a run (the server holds it up to `waitSeconds`); undefined when none came. */
  claim(worker: WorkerIdentity, waitSeconds: number, signal: AbortSignal): Promise<ClaimReply | undefined>;
  heartbeat(
    worker: WorkerIdentity,
    runs: { executionId: string; attempt: number }[],
    signal: AbortSignal,
    /** This machine now, for the server's host monitor; absent when it could not be read. */
    host?: HostSample,
  ): Promise<HeartbeatReply>;
}

/** The HTTP side of `/api/workers/*` (docs/WORKERS.md), on Node's global fetch. */
export function createWorkerClient({
  baseUrl,
  token,
}: {
  baseUrl: string;
  token?: string | undefined;
}): WorkerClient {
  const post = async <T>(
    path: string,
    body: unknown,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<[number, T]> => {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new WorkerRequestError(cause ?? (error instanceof Error ? error.message : String(error)), false);
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      let message = text.slice(0, 300) || `HTTP ${response.status}`;
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        // Not our error shape (a proxy's page): its start says enough.
      }
      const retry = response.status >= 500 || response.status === 408 || response.status === 429;
      throw new WorkerRequestError(`${response.status}: ${message}`, !retry);
    }
    return [response.status, JSON.parse(text) as T];
  };

  return {
    async claim(worker, waitSeconds, signal) {
      const [status, reply] = await post<ClaimReply | NoClaimReply>(
        '/api/workers/claim',
        { worker, waitSeconds },
        (waitSeconds + 15) * 1000,
        signal,
      );
      return status === 200 && reply.claimed ? reply : undefined;
    },
    async heartbeat(worker, runs, signal, host) {
      const [, reply] = await post<HeartbeatReply>(
        '/api/workers/heartbeat',
        { worker, runs, ...(host === undefined ? {} : { host }) },
        10_000,
        signal,
      );
      return reply;
    },
  };
}
