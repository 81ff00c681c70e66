/**
 * The one way the dashboard talks HTTP to the server: JSON in and out, errors turned into
 * {@link ApiError} carrying the server's stable code and message (`{"error":{code,message}}`), so
 * forms can show "name: must NOT have more than 500 characters" next to the right field.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The body field an error names (`body.cwd must…` → `cwd`), if any. */
  get field(): string | undefined {
    // The server names the field in `details.field` when the message cannot start with it
    // ("body must have exactly one of command and argv" → command).
    const details = this.details as { field?: unknown } | undefined;
    if (typeof details?.field === 'string') return details.field;
    const match = /^body\.([\w]+)/.exec(this.message) ?? /unknown field "(\w+)"/.exec(this.message);
    return match?.[1];
  }
}

type QueryValue = string | number | boolean | undefined | null | readonly (string | number)[];

/** `/api/x` + `?a=1&b=2`, leaving out empty values and repeating arrays (`status=a&status=b`). */
function apiUrl(path: string, query: Record<string, QueryValue> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, String(item));
    else params.append(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

export async function apiFetch<T>(
  path: string,
  init: { method?: string; body?: unknown; query?: Record<string, QueryValue>; signal?: AbortSignal } = {},
): Promise<T> {
  const method = init.method ?? 'GET';
  const headers = requestHeaders(method);
  let body: string | undefined;
  if (init.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.body);
  }
  const response = await fetch(apiUrl(path, init.query), {
    method,
    headers,
    body,
    signal: init.signal,
  });
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** A file from the API (an artifact to preview) as a Blob, with the key when one is set. */
export async function apiFetchBlob(path: string, init: { signal?: AbortSignal } = {}): Promise<Blob> {
  const key = apiKey();
  const response = await fetch(path, {
    ...(key ? { headers: { authorization: `Bearer ${key}` } } : {}),
    signal: init.signal,
  });
  if (!response.ok) throw await errorFrom(response);
  return response.blob();
}

/**
 * The headers every API request carries: JSON accepted, the API key when one is set, and for a
 * change the session's CSRF token. For requests `apiFetch` cannot make (raw bodies, uploads).
 */
export function requestHeaders(method: string): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = apiKey();
  if (key) headers.authorization = `Bearer ${key}`;
  // A signed-in session proves each change comes from this page (docs/USERS.md, CSRF).
  if (csrfToken !== null && method !== 'GET' && method !== 'HEAD') headers['x-stepflow-csrf'] = csrfToken;
  return headers;
}

/** The {@link ApiError} a failed response carries (its JSON error, else its status line). */
export async function errorFrom(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; details?: unknown };
    };
    if (body.error?.message) {
      return new ApiError(
        response.status,
        body.error.code ?? 'unknown',
        body.error.message,
        body.error.details,
      );
    }
  } catch {
    // Not JSON (a proxy's error page): fall through to the status line.
  }
  return new ApiError(response.status, 'http_error', `${response.status} ${response.statusText}`);
}

/** The session's CSRF token (from sign-in and `/api/auth/me`): memory only, never stored. */
let csrfToken: string | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

const KEY_STORAGE = 'stepflow.apiKey';

/** The API key, when the server requires one (kept in this browser's local storage). */
export function apiKey(): string | null {
  try {
    return localStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function setApiKey(key: string | null): void {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
}
