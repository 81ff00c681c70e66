import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SECRET_ENV_PATTERNS } from '../core/markers/secret-env.js';
import { sealSecret } from './secret-box.js';
import { generateSecretKey } from './secret-key.js';
import { createSecretKeeper } from './secret-keeper.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function keeperIn(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-keeper-'))) {
  dirs.push(dir);
  const keyFile = path.join(dir, 'secret.key');
  return { keyFile, keeper: createSecretKeeper({ keyFile, secretEnvPatterns: DEFAULT_SECRET_ENV_PATTERNS }) };
}

describe('the secret keeper with a key file', () => {
  it('makes the key file (0600) when it first seals, and another process reads the same key', () => {
    const { keyFile, keeper } = keeperIn();
    expect(keeper.existing()).toBeUndefined();
    expect(fs.existsSync(keyFile)).toBe(false);
    const spec = keeper.seal({ cwd: '/', env: { MODE: 'a', API_TOKEN: 't0k' }, secretEnv: { PW: 'pw' } });
    expect(spec.env?.MODE).toBe('a');
    expect(spec.env?.API_TOKEN).toMatch(/^sfsec:1:/);
    expect(spec.secretEnv?.PW).toMatch(/^sfsec:1:/);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const other = createSecretKeeper({ keyFile, secretEnvPatterns: [] });
    // Opened by whatever name it has now: the patterns may have changed since it was sealed.
    expect(other.open(spec)).toEqual({
      cwd: '/',
      env: { MODE: 'a', API_TOKEN: 't0k' },
      secretEnv: { PW: 'pw' },
    });
  });

  it('never makes a key file to open a value: says the key is missing', () => {
    const { keyFile, keeper } = keeperIn();
    const sealed = sealSecret(generateSecretKey(), 'x', 'environment variable PW');
    expect(() => keeper.open({ cwd: '/', secretEnv: { PW: sealed } })).toThrow(
      /a stored secret needs its key, and there is none: set STEPFLOW_SECRET_KEY or put back .*secret\.key/,
    );
    expect(fs.existsSync(keyFile)).toBe(false);
  });
});
