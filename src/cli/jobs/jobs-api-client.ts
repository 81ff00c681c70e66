import { ERROR_CODES, StepflowError, type ErrorCode } from '../../core/errors.js';

/** Where `stepflow jobs` sends its requests: --server, STEPFLOW_SERVER, else the local default port. */
export interface ServerTarget {
  baseUrl: string;
  token: string | undefined;
}

export function resolveServer(
  options: { server?: string | undefined; token?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): ServerTarget {
  const raw = options.server || env.STEPFLOW_SERVER || `http://127.0.0.1:${env.STEPFLOW_PORT || '8080'}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new StepflowError(
      ERROR_CODES.USAGE,
      `--server expects a URL such as http://host:8080, got ${JSON.stringify(raw)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StepflowError(
      ERROR_CODES.USAGE,
      `--server must be an http or https URL, got ${JSON.stringify(raw)}`,
    );
  }
  return {
    baseUrl: url.toString().replace(/\/+$/, ''),
    token: options.token || env.STEPFLOW_TOKEN || undefined,
  };
}

const KNOWN_CODES = new Set<string>(Object.values(ERROR_CODES));
const REQUEST_TIMEOUT_MS = 15_000;

/**
 * One JSON request to the server. The server's `{"error":{code,message}}` comes back as the same
 * StepflowError (so the CLI prints `code: message`); no answer is `server_unreachable`.
 */
export async function requestJson<T>(
  target: ServerTarget,
  method: string,
  path: string,
  body?: unknown,
  /** A body sent as it is (an archive upload) with its type, and the time it may take. */
  raw?: { contentType: string; timeoutMs: number },
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target.token) headers.authorization = `Bearer ${target.token}`;
  if (body !== undefined) headers['content-type'] = raw?.contentType ?? 'application/json';
  let response: Response;
  try {
    response = await fetch(`${target.baseUrl}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: raw ? (body as Buffer) : JSON.stringify(body) }),
      signal: AbortSignal.timeout(raw?.timeoutMs ?? REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw new StepflowError(
      ERROR_CODES.SERVER_UNREACHABLE,
      `cannot reach the StepFlow server at ${target.baseUrl} (${reason(error)}); start it with \`stepflow server\` or point --server / STEPFLOW_SERVER at it`,
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    throw new StepflowError(
      ERROR_CODES.SERVER_UNREACHABLE,
      `${target.baseUrl} answered ${response.status} with something that is not JSON: is it a StepFlow server?`,
    );
  }
  if (response.ok) return parsed as T;
  const error = (parsed as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
  const code =
    error?.code !== undefined && KNOWN_CODES.has(error.code)
      ? (error.code as ErrorCode)
      : ERROR_CODES.INTERNAL;
  const hint = response.status === 401 ? ' (set STEPFLOW_TOKEN or pass --token)' : '';
  throw new StepflowError(code, `${error?.message ?? `HTTP ${response.status}`}${hint}`, {
    details: error?.details,
  });
}

function reason(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'no answer in time';
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
