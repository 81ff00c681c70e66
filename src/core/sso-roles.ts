import { isRole, ROLES, type Role } from './access.js';
import { validationError } from './errors.js';

/**
 * Single sign-on rules (docs/USERS.md, OIDC): which StepFlow role a provider's claim gives, and
 * what a user signing in for the first time is called here. Pure: the server reads the claims,
 * these decide.
 */

/** `STEPFLOW_OIDC_DEFAULT_ROLE`: a role, or `none` (refuse users no mapping gives a role). */
export type DefaultSsoRole = Role | 'none';

/** Highest first: a user in several mapped groups gets the most their groups give. */
const RANK: readonly Role[] = ['admin', 'operator', 'viewer'];

/**
 * Parses `STEPFLOW_OIDC_ROLE_MAP`: comma-separated `value:role` pairs (`admins:admin,devs:operator`).
 * The role follows the LAST colon, so a value may hold colons (a URN, a Keycloak path); values are
 * compared exactly (case counts, as providers send them).
 */
export function parseRoleMap(raw: string, variable = 'STEPFLOW_OIDC_ROLE_MAP'): Map<string, Role> {
  const map = new Map<string, Role>();
  for (const entry of raw.split(',')) {
    const pair = entry.trim();
    if (pair === '') continue;
    const colon = pair.lastIndexOf(':');
    const value = colon > 0 ? pair.slice(0, colon).trim() : '';
    const role = colon > 0 ? pair.slice(colon + 1).trim() : '';
    if (value === '' || !isRole(role)) {
      throw validationError(
        `${variable}: ${JSON.stringify(pair)} is not <claim value>:<role> with a role of ${ROLES.join(', ')}`,
        { field: variable },
      );
    }
    map.set(value, role);
  }
  return map;
}

/** Parses `STEPFLOW_OIDC_DEFAULT_ROLE` (unset: viewer). */
export function parseDefaultSsoRole(
  raw: string | undefined,
  variable = 'STEPFLOW_OIDC_DEFAULT_ROLE',
): DefaultSsoRole {
  const value = (raw ?? '').trim();
  if (value === '') return 'viewer';
  if (value === 'none' || isRole(value)) return value;
  throw validationError(
    `${variable} must be one of ${ROLES.join(', ')} or none, got ${JSON.stringify(raw)}`,
    {
      field: variable,
    },
  );
}

/**
 * The role a claim value (a string or a list of strings, as `groups` and `roles` claims are)
 * gives: the highest its mapped values give, else the default; undefined when that is `none`.
 */
export function roleFromClaim(
  claim: unknown,
  map: ReadonlyMap<string, Role>,
  fallback: DefaultSsoRole,
): Role | undefined {
  const values = Array.isArray(claim) ? claim : [claim];
  const granted = new Set<Role>();
  for (const value of values) {
    if (typeof value !== 'string') continue;
    const role = map.get(value);
    if (role !== undefined) granted.add(role);
  }
  const best = RANK.find((role) => granted.has(role));
  if (best !== undefined) return best;
  return fallback === 'none' ? undefined : fallback;
}

/**
 * The name a user signing in for the first time gets here: the `nameClaim` (e.g.
 * `preferred_username`), else `email`, else `sub`, with characters a StepFlow name cannot hold
 * (core/access.ts) replaced by `-`. Undefined when nothing usable is left. Kept afterwards: a
 * rename at the provider does not rename the user here (it is found by issuer and subject).
 */
export function ssoUserName(claims: Record<string, unknown>, nameClaim: string): string | undefined {
  for (const key of [nameClaim, 'email', 'sub']) {
    const value = claims[key];
    if (typeof value !== 'string') continue;
    const name = value
      .replace(/[^A-Za-z0-9._@-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, 64);
    if (name !== '') return name;
  }
  return undefined;
}
