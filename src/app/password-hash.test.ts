import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, verifyPassword } from './password-hash.js';

describe('password hashes', () => {
  it('are scrypt with N=2^15, r=8, p=1 and a 16-byte salt, written with their parameters; salted', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$N=32768,r=8,p=1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct');
    expect(needsRehash(a)).toBe(false);
  });

  it('verify the right password only, and refuse anything that is not a hash instead of throwing', async () => {
    const hash = await hashPassword('correct horse');
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('correct hors', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
    for (const damaged of ['', 'plain', hash.replace('N=32768', 'N=1073741824'), hash.slice(0, -4)]) {
      expect(await verifyPassword('correct horse', damaged)).toBe(false);
    }
  });

  it('read hashes made with other parameters (raised later), and say they need re-hashing', async () => {
    // N=2^14 made by hand with the same encoding: still verifiable.
    const { scryptSync, randomBytes } = await import('node:crypto');
    const salt = randomBytes(16);
    const key = scryptSync('pw', salt, 32, { N: 2 ** 14, r: 8, p: 1 });
    const old = `scrypt$N=16384,r=8,p=1$${salt.toString('base64url')}$${key.toString('base64url')}`;
    expect(await verifyPassword('pw', old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
  });
});
