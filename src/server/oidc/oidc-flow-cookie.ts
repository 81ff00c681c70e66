import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { OidcFlow } from './oidc-client.js';

const FLOW_COOKIE = 'stepflow_oidc';
/** The callback path: the only one the browser sends the flow cookie to. */
const FLOW_PATH = '/api/auth/oidc';
/** Time to sign in at the provider. */
export const FLOW_TTL_MS = 10 * 60_000;

/**
 * A sign-in's state, nonce and PKCE verifier between the redirect and the callback, in the
 * browser that started it: an HttpOnly cookie sealed with AES-256-GCM (tampering fails the tag;
 * the verifier is not readable in it). A callback from another browser (a link an attacker
 * started, login CSRF) has no cookie, or one whose state does not match, and is refused. The key
 * derives from the client secret, which every replica has, so any replica can finish a sign-in.
 */
export function createFlowCookies(clientSecret: string, now: () => number = Date.now) {
  const key = Buffer.from(hkdfSync('sha256', clientSecret, 'stepflow', 'oidc flow cookie', 32));

  const cookie = (value: string, maxAgeSeconds: number, secure: boolean): string =>
    [
      `${FLOW_COOKIE}=${value}`,
      `Path=${FLOW_PATH}`,
      `Max-Age=${maxAgeSeconds}`,
      'HttpOnly',
      // Lax: the provider's redirect back is a top-level GET from its site, which Lax lets through.
      'SameSite=Lax',
      ...(secure ? ['Secure'] : []),
    ].join('; ');

  return {
    /** `Set-Cookie` holding the flow, sealed, with its expiry inside. */
    seal(flow: OidcFlow, secure: boolean): string {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([
        cipher.update(JSON.stringify({ ...flow, expiresAt: now() + FLOW_TTL_MS })),
        cipher.final(),
      ]);
      const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
      return cookie(sealed, FLOW_TTL_MS / 1000, secure);
    },
    /** The flow the request's cookie holds: undefined when absent, tampered with or expired. */
    open(headers: IncomingHttpHeaders): OidcFlow | undefined {
      const raw = cookieValue(headers.cookie, FLOW_COOKIE);
      if (raw === undefined) return undefined;
      try {
        const bytes = Buffer.from(raw, 'base64url');
        const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
        decipher.setAuthTag(bytes.subarray(12, 28));
        const text = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString();
        const { expiresAt, ...flow } = JSON.parse(text) as OidcFlow & { expiresAt: number };
        return now() < expiresAt ? flow : undefined;
      } catch {
        // Not sealed by us (or with another client secret): no flow, the same as no cookie.
        return undefined;
      }
    },
    /** `Set-Cookie` that drops the flow cookie (a flow is finished once, whatever its outcome). */
    clear(secure: boolean): string {
      return cookie('', 0, secure);
    },
  };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq >= 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
