import type { Role } from '../../core/access.js';
import { validationError } from '../../core/errors.js';
import { parseDefaultSsoRole, parseRoleMap, type DefaultSsoRole } from '../../core/sso-roles.js';

/** OIDC single sign-on, as configured by `STEPFLOW_OIDC_*` (docs/USERS.md). */
export interface OidcSettings {
  /** The issuer identifier; its `/.well-known/openid-configuration` is read at the first sign-in. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /**
   * `STEPFLOW_OIDC_REDIRECT_URL`: the callback registered at the provider. Unset: this server's
   * `/api/auth/oidc/callback` as the browser reached it (its Host; `X-Forwarded-Proto` when
   * `STEPFLOW_TRUST_PROXY`). The provider accepts only the URIs registered, so a forged Host fails there.
   */
  redirectUrl?: string;
  scopes: string[];
  /** The claim whose value(s) {@link roleMap} maps (`groups`, `roles`, `email`, …). */
  roleClaim: string;
  roleMap: ReadonlyMap<string, Role>;
  defaultRole: DefaultSsoRole;
  /** The claim a new user's name comes from (then `email`, then `sub`). */
  nameClaim: string;
}

const DEFAULT_SCOPES = 'openid profile email';

/**
 * Reads `STEPFLOW_OIDC_*`: undefined when `STEPFLOW_OIDC_ISSUER` is unset (SSO off); a
 * `validation_failed` naming the variable for anything missing or malformed, so a bad setting
 * stops the start instead of the first sign-in.
 */
export function loadOidcSettings(env: NodeJS.ProcessEnv): OidcSettings | undefined {
  const value = (name: string): string | undefined => env[name]?.trim() || undefined;
  const issuer = value('STEPFLOW_OIDC_ISSUER');
  if (issuer === undefined) {
    const stray = ['STEPFLOW_OIDC_CLIENT_ID', 'STEPFLOW_OIDC_CLIENT_SECRET'].filter((name) => value(name));
    if (stray.length > 0) throw validationError(`${stray.join(' and ')} set without STEPFLOW_OIDC_ISSUER`);
    return undefined;
  }
  checkUrl('STEPFLOW_OIDC_ISSUER', issuer);
  const clientId = value('STEPFLOW_OIDC_CLIENT_ID');
  const clientSecret = value('STEPFLOW_OIDC_CLIENT_SECRET');
  for (const [name, given] of [
    ['STEPFLOW_OIDC_CLIENT_ID', clientId],
    ['STEPFLOW_OIDC_CLIENT_SECRET', clientSecret],
  ] as const) {
    if (given === undefined) {
      throw validationError(
        `${name} is needed with STEPFLOW_OIDC_ISSUER (a confidential client registered at the provider)`,
        { field: name },
      );
    }
  }
  const redirectUrl = value('STEPFLOW_OIDC_REDIRECT_URL');
  if (redirectUrl !== undefined) {
    checkUrl('STEPFLOW_OIDC_REDIRECT_URL', redirectUrl, { anyHttp: true });
    if (new URL(redirectUrl).pathname !== '/api/auth/oidc/callback') {
      throw validationError('STEPFLOW_OIDC_REDIRECT_URL must end in /api/auth/oidc/callback', {
        field: 'STEPFLOW_OIDC_REDIRECT_URL',
      });
    }
  }
  const scopes = (value('STEPFLOW_OIDC_SCOPES') ?? DEFAULT_SCOPES).split(/[\s,]+/).filter(Boolean);
  if (!scopes.includes('openid')) {
    throw validationError('STEPFLOW_OIDC_SCOPES must include openid', { field: 'STEPFLOW_OIDC_SCOPES' });
  }
  return {
    issuer,
    clientId: clientId ?? '',
    clientSecret: clientSecret ?? '',
    ...(redirectUrl === undefined ? {} : { redirectUrl }),
    scopes,
    roleClaim: value('STEPFLOW_OIDC_ROLE_CLAIM') ?? 'groups',
    roleMap: parseRoleMap(value('STEPFLOW_OIDC_ROLE_MAP') ?? ''),
    defaultRole: parseDefaultSsoRole(value('STEPFLOW_OIDC_DEFAULT_ROLE')),
    nameClaim: value('STEPFLOW_OIDC_NAME_CLAIM') ?? 'preferred_username',
  };
}

/**
 * An http(s) URL. The issuer: plain http only on a loopback host (a provider on this machine, as
 * the tests start), since this server fetches keys and tokens from it. The redirect URL may be
 * http (StepFlow itself speaks plain HTTP unless behind a TLS proxy).
 */
function checkUrl(name: string, raw: string, { anyHttp = false } = {}): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw validationError(`${name} must be a URL, got ${JSON.stringify(raw)}`, { field: name });
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || /^127\./.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && (loopback || anyHttp))) {
    throw validationError(
      `${name} must be an https:// URL (http:// only on this machine), got ${JSON.stringify(raw)}`,
      {
        field: name,
      },
    );
  }
}
