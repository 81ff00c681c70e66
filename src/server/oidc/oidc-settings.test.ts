import { describe, expect, it } from 'vitest';
import { isStepflowError } from '../../core/errors.js';
import { loadServerOptions } from '../server-options.js';
import { loadOidcSettings } from './oidc-settings.js';

const BASE = {
  STEPFLOW_OIDC_ISSUER: 'https://id.example.com/realms/main',
  STEPFLOW_OIDC_CLIENT_ID: 'stepflow',
  STEPFLOW_OIDC_CLIENT_SECRET: 's3cret',
};

const refusal = (env: NodeJS.ProcessEnv): string => {
  try {
    loadOidcSettings(env);
  } catch (error) {
    if (isStepflowError(error)) return error.message;
    throw error;
  }
  return 'accepted';
};

describe('STEPFLOW_OIDC_* settings', () => {
  it('are off without an issuer, and read with their defaults when it is set', () => {
    expect(loadOidcSettings({})).toBeUndefined();
    expect(loadOidcSettings({ ...BASE, STEPFLOW_OIDC_ROLE_MAP: 'ops:admin' })).toEqual({
      ...{ issuer: BASE.STEPFLOW_OIDC_ISSUER, clientId: 'stepflow', clientSecret: 's3cret' },
      scopes: ['openid', 'profile', 'email'],
      roleClaim: 'groups',
      roleMap: new Map([['ops', 'admin']]),
      defaultRole: 'viewer',
      nameClaim: 'preferred_username',
    });
  });

  it('refuse at start what would fail at the first sign-in, naming the variable', () => {
    expect(refusal({ STEPFLOW_OIDC_CLIENT_ID: 'x' })).toBe(
      'STEPFLOW_OIDC_CLIENT_ID set without STEPFLOW_OIDC_ISSUER',
    );
    expect(refusal({ ...BASE, STEPFLOW_OIDC_CLIENT_SECRET: '' })).toBe(
      'STEPFLOW_OIDC_CLIENT_SECRET is needed with STEPFLOW_OIDC_ISSUER (a confidential client registered at the provider)',
    );
    expect(refusal({ ...BASE, STEPFLOW_OIDC_ISSUER: 'id.example.com' })).toBe(
      'STEPFLOW_OIDC_ISSUER must be a URL, got "id.example.com"',
    );
    expect(refusal({ ...BASE, STEPFLOW_OIDC_ISSUER: 'http://id.example.com' })).toBe(
      'STEPFLOW_OIDC_ISSUER must be an https:// URL (http:// only on this machine), got "http://id.example.com"',
    );
    expect(refusal({ ...BASE, STEPFLOW_OIDC_ISSUER: 'http://127.0.0.1:9000' })).toBe('accepted');
    expect(refusal({ ...BASE, STEPFLOW_OIDC_REDIRECT_URL: 'http://stepflow.lan:8080/callback' })).toBe(
      'STEPFLOW_OIDC_REDIRECT_URL must end in /api/auth/oidc/callback',
    );
    expect(
      refusal({ ...BASE, STEPFLOW_OIDC_REDIRECT_URL: 'http://stepflow.lan:8080/api/auth/oidc/callback' }),
    ).toBe('accepted');
    expect(refusal({ ...BASE, STEPFLOW_OIDC_SCOPES: 'profile email' })).toBe(
      'STEPFLOW_OIDC_SCOPES must include openid',
    );
    expect(refusal({ ...BASE, STEPFLOW_OIDC_ROLE_MAP: 'ops=admin' })).toMatch(
      /^STEPFLOW_OIDC_ROLE_MAP: "ops=admin"/,
    );
    expect(refusal({ ...BASE, STEPFLOW_OIDC_DEFAULT_ROLE: 'nobody' })).toMatch(
      /^STEPFLOW_OIDC_DEFAULT_ROLE must be/,
    );
  });

  it('count as authentication: the server may listen on any address with SSO and no user yet', () => {
    expect(loadServerOptions({ ...BASE }, { host: '0.0.0.0' }).bindNeedsUsers).toBe(false);
    expect(() => loadServerOptions({}, { host: '0.0.0.0' })).toThrow(/refusing to listen on 0.0.0.0/);
  });
});
