import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The session cookie (docs/USERS.md): the token only, HttpOnly, SameSite=Lax, Secure over HTTPS. */
const SESSION_COOKIE = 'stepflow_session';
/** The header the dashboard echoes the CSRF token in on every state-changing request. */
const CSRF_HEADER = 'x-stepflow-csrf';

/** The session token a request's Cookie header carries, if any. */
export function sessionTokenOf(headers: IncomingHttpHeaders): string | undefined {
  const cookie = headers.cookie;
  if (!cookie) return undefined;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      // Our tokens are base64url: anything else is not one of ours.
      return /^[\w-]{20,200}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/** `Set-Cookie` for a new session (`maxAgeSeconds`) or for signing out (0: the browser drops it). */
export function sessionCookie(
  token: string,
  { maxAgeSeconds, secure }: { maxAgeSeconds: number; secure: boolean },
): string {
  return [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/**
 * The CSRF token of a session: derived from the session token (which the page's script cannot
 * read: HttpOnly), so nothing more is stored, and a page on another origin cannot know it. The
 * dashboard gets it from sign-in and `/api/auth/me` and sends it in {@link CSRF_HEADER}.
 */
export function csrfTokenOf(sessionToken: string): string {
  return createHash('sha256').update(`stepflow-csrf:${sessionToken}`).digest('base64url');
}

/** Whether the request's CSRF header matches its session, compared in constant time. */
export function csrfOk(headers: IncomingHttpHeaders, sessionToken: string): boolean {
  const sent = headers[CSRF_HEADER];
  if (typeof sent !== 'string') return false;
  const expected = Buffer.from(csrfTokenOf(sessionToken));
  const given = Buffer.from(sent);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
