import { describe, expect, it } from 'vitest';
import { isStepflowError } from './errors.js';
import { parseDefaultSsoRole, parseRoleMap, roleFromClaim, ssoUserName } from './sso-roles.js';

const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (isStepflowError(error)) return `${error.code}: ${error.message}`;
    throw error;
  }
  return 'accepted';
};

describe('single sign-on roles', () => {
  it('reads the role map: pairs split at the last colon, blanks ignored, a bad pair named', () => {
    expect([...parseRoleMap(' admins:admin, devs:operator ,,urn:team:ops:viewer')]).toEqual([
      ['admins', 'admin'],
      ['devs', 'operator'],
      ['urn:team:ops', 'viewer'],
    ]);
    expect(parseRoleMap('').size).toBe(0);
    expect(refusal(() => parseRoleMap('admins:boss'))).toBe(
      'validation_failed: STEPFLOW_OIDC_ROLE_MAP: "admins:boss" is not <claim value>:<role> with a role of admin, operator, viewer',
    );
    expect(refusal(() => parseRoleMap('admins'))).toMatch(/"admins" is not <claim value>:<role>/);
    expect(refusal(() => parseRoleMap(':admin'))).toMatch(/":admin" is not/);
  });

  it('reads the default role: viewer when unset, none allowed, anything else named', () => {
    expect(parseDefaultSsoRole(undefined)).toBe('viewer');
    expect(parseDefaultSsoRole(' ')).toBe('viewer');
    expect(parseDefaultSsoRole('none')).toBe('none');
    expect(parseDefaultSsoRole('operator')).toBe('operator');
    expect(refusal(() => parseDefaultSsoRole('root'))).toBe(
      'validation_failed: STEPFLOW_OIDC_DEFAULT_ROLE must be one of admin, operator, viewer or none, got "root"',
    );
  });

  it('gives the highest role the claim values map to, else the default; none refuses', () => {
    const map = parseRoleMap('admins:admin,devs:operator,staff:viewer');
    expect(roleFromClaim(['staff', 'devs'], map, 'none')).toBe('operator');
    expect(roleFromClaim(['devs', 'admins', 'staff'], map, 'viewer')).toBe('admin');
    expect(roleFromClaim('devs', map, 'none')).toBe('operator');
    expect(roleFromClaim(['Devs', 'sales'], map, 'viewer')).toBe('viewer');
    expect(roleFromClaim(['sales'], map, 'none')).toBeUndefined();
    expect(roleFromClaim(undefined, map, 'none')).toBeUndefined();
    expect(roleFromClaim([42, { devs: 1 }], map, 'operator')).toBe('operator');
  });

  it("names a new user from the name claim, else email, else sub, fitting StepFlow's name rules", () => {
    expect(
      ssoUserName({ preferred_username: 'alice', email: 'a@x.io', sub: '1' }, 'preferred_username'),
    ).toBe('alice');
    expect(ssoUserName({ email: 'bob+ops@x.io', sub: '1' }, 'preferred_username')).toBe('bob-ops@x.io');
    expect(ssoUserName({ preferred_username: '', sub: 'abc' }, 'preferred_username')).toBe('abc');
    expect(ssoUserName({ name: '  Émile Zola' }, 'name')).toBe('mile-Zola');
    expect(ssoUserName({ upn: 'x'.repeat(80) }, 'upn')).toHaveLength(64);
    expect(ssoUserName({ preferred_username: '---' }, 'preferred_username')).toBeUndefined();
  });
});
