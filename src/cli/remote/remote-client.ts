import { openAsBlob } from 'node:fs';
import type {
  CreateRemoteExecutionReply,
  RemoteArtifactQuery,
  RemoteBatchBody,
  RemoteBatchReply,
  RemoteExecution,
} from '../../protocol/remote-schemas.js';

/**
 * Why a request did not succeed. `unreachable`: worth retrying as is (network error, timeout, 5xx,
 * 408, 429). `rejected`: the server answered no; retrying the same request cannot help.
 */
export interface RemoteFailure {
  kind: 'unreachable' | 'rejected';
  status?: number;
  code?: string;
  message: string;
  details?: unknown;
}

/**
 * A spool's run is never a re-run: leaving the (null) re-run link out keeps the rows acceptable to
 * servers older than it, which refuse unknown fields. Limits likewise, when there are none.
 */
function wireExecution({
  rerunOf: _rerunOf,
  resumeFrom: _resumeFrom,
  // The server derives the run's estimate from its meta.
  estimatedDurationSeconds: _estimate,
  lateAfterSeconds,
  summary,
  outputs,
  limits,
  limitHits,
  ...execution
}: RemoteExecution & { rerunOf?: unknown; resumeFrom?: unknown }) {
  // Likewise a late threshold, the step summary, outputs and limits go only when set.
  return {
    ...execution,
    ...(lateAfterSeconds == null ? {} : { lateAfterSeconds }),
    ...(summary == null ? {} : { summary }),
    ...(outputs === undefined || Object.keys(outputs).length === 0 ? {} : { outputs }),
    ...(limits != null ? { limits } : {}),
    ...(limitHits !== undefined && limitHits.length > 0 ? { limitHits } : {}),
  };
}

function wireBatch(batch: RemoteBatchBody): RemoteBatchBody {
  return {
    ...batch,
    ...(batch.execution === undefined ? {} : { execution: wireExecution(batch.execution) }),
    ...(batch.steps === undefined
      ? {}
      : {
          steps: batch.steps.map(({ summary, ...step }) => (summary == null ? step : { ...step, summary })),
        }),
  };
}

type RemoteResult<T> = { ok: true; value: T } | { ok: false; failure: RemoteFailure };

export interface RemoteClient {
  create(execution: RemoteExecution, signal: AbortSignal): Promise<RemoteResult<CreateRemoteExecutionReply>>;
  sendBatch(id: string, batch: RemoteBatchBody, signal: AbortSignal): Promise<RemoteResult<RemoteBatchReply>>;
  uploadArtifact(
    id: string,
    artifactId: number,
    query: RemoteArtifactQuery,
    file: string,
    signal: AbortSignal,
  ): Promise<RemoteResult<unknown>>;
}

const REQUEST_TIMEOUT_MS = 30_000;
/** Uploads get the request timeout plus this many ms per MiB, so a slow link is not cut off. */
const UPLOAD_MS_PER_MIB = 4_000;

/** The HTTP side of the remote protocol (docs/REMOTE.md), on Node's global fetch. */
export function createRemoteClient({
  baseUrl,
  token,
  headers: extraHeaders = {},
}: {
  baseUrl: string;
  token?: string | undefined;
  /** Sent on every request: a worker's `StepFlow-Attempt` (docs/WORKERS.md). */
  headers?: Record<string, string>;
}): RemoteClient {
  const base = baseUrl.replace(/\/+$/, '');
  const auth: Record<string, string> = {
    ...extraHeaders,
    ...(token ? { authorization: `Bearer ${token}` } : {}),
  };

  const request = async <T>(
    method: string,
    path: string,
    init: { json?: unknown; blob?: Blob; timeoutMs?: number; signal: AbortSignal },
  ): Promise<RemoteResult<T>> => {
    const headers: Record<string, string> = { ...auth, accept: 'application/json' };
    let body: string | Blob | undefined;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.blob !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      body = init.blob;
    }
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.any([init.signal, AbortSignal.timeout(init.timeoutMs ?? REQUEST_TIMEOUT_MS)]),
      });
    } catch (error) {
      return { ok: false, failure: { kind: 'unreachable', message: networkReason(error) } };
    }
    const text = await response.text().catch(() => '');
    if (response.ok) {
      try {
        return { ok: true, value: JSON.parse(text) as T };
      } catch {
        // A proxy answering 200 with HTML is not the StepFlow API: treat it as a refusal.
        return {
          ok: false,
          failure: { kind: 'rejected', status: response.status, message: 'the reply is not JSON' },
        };
      }
    }
    return { ok: false, failure: failureOf(response.status, text) };
  };

  return {
    create: (execution, signal) =>
      request('POST', '/api/remote/executions', { json: { execution: wireExecution(execution) }, signal }),
    sendBatch: (id, batch, signal) =>
      request('POST', `/api/remote/executions/${id}/batches`, {
        json: wireBatch(batch),
        signal,
      }),
    async uploadArtifact(id, artifactId, query, file, signal) {
      // A file-backed Blob: fetch streams it with a Content-Length, never holding it in memory.
      const blob = await openAsBlob(file);
      const search = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) {
        if (value !== undefined) search.set(key, String(value));
      }
      return request('PUT', `/api/remote/executions/${id}/artifacts/${artifactId}?${search}`, {
        blob,
        signal,
        timeoutMs: REQUEST_TIMEOUT_MS + Math.ceil(blob.size / 2 ** 20) * UPLOAD_MS_PER_MIB,
      });
    },
  };
}

function failureOf(status: number, text: string): RemoteFailure {
  let code: string | undefined;
  let message = text.slice(0, 200) || `HTTP ${status}`;
  let details: unknown;
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
    if (parsed.error) {
      code = parsed.error.code;
      message = parsed.error.message ?? message;
      details = parsed.error.details;
    }
  } catch {
    // Not our error shape (a proxy's page): the status and the start of the text say enough.
  }
  const retry = status >= 500 || status === 408 || status === 429;
  return {
    kind: retry ? 'unreachable' : 'rejected',
    status,
    message,
    ...(code === undefined ? {} : { code }),
    ...(details === undefined ? {} : { details }),
  };
}

/** `fetch failed` says nothing; the cause (ECONNREFUSED, ENOTFOUND…) does. */
function networkReason(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'no answer in time';
    if (error.name === 'AbortError') return 'stopped';
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
