import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SECRET_ENV_PATTERNS,
  runSecrets,
  secretEnvPatterns,
  secretNameMatcher,
} from './secret-env.js';

describe('secret env names', () => {
  it('matches the default patterns case-insensitively against the whole name', () => {
    const isSecret = secretNameMatcher(DEFAULT_SECRET_ENV_PATTERNS);
    for (const name of [
      'GITHUB_TOKEN',
      'token',
      'npm_config__authToken',
      'AWS_SECRET_ACCESS_KEY',
      'DB_PASSWORD',
      'MYSQL_PASSWD',
      'SSH_KEY',
      'stripe_apikey',
      'GOOGLE_APPLICATION_CREDENTIALS',
      'PRIVATE_REPO_URL',
    ]) {
      expect(isSecret(name), name).toBe(true);
    }
    for (const name of ['PATH', 'HOME', 'KEYBOARD', 'KEY_NAME', 'MONKEY', 'PASS', 'TOKE']) {
      expect(isSecret(name), name).toBe(false);
    }
  });

  it('reads STEPFLOW_SECRET_ENV_PATTERNS: the defaults when unset or blank, none for "none", else the list', () => {
    expect(secretEnvPatterns(undefined)).toEqual(DEFAULT_SECRET_ENV_PATTERNS);
    expect(secretEnvPatterns('  ')).toEqual(DEFAULT_SECRET_ENV_PATTERNS);
    expect(secretEnvPatterns('none')).toEqual([]);
    expect(secretEnvPatterns(' MY_?, *.pem ,')).toEqual(['MY_?', '*.pem']);
    const isSecret = secretNameMatcher(secretEnvPatterns('MY_?,*.pem'));
    expect([isSecret('my_a'), isSecret('MY_AB'), isSecret('cert.pem'), isSecret('certxpem')]).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect(secretNameMatcher([])('TOKEN')).toBe(false);
  });

  it('gives a run every secretEnv value and the env values whose names match', () => {
    const spec = { env: { DEPLOY_TOKEN: 't', REGION: 'eu' }, secretEnv: { CONN: 'c' } };
    expect(runSecrets(spec, DEFAULT_SECRET_ENV_PATTERNS).sort()).toEqual(['c', 't']);
    expect(runSecrets(spec, [])).toEqual(['c']);
    expect(runSecrets({}, DEFAULT_SECRET_ENV_PATTERNS)).toEqual([]);
  });
});
