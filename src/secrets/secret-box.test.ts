import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSealed, openSecret, sealSecret } from './secret-box.js';
import { encodeSecretKey, generateSecretKey, parseSecretKey } from './secret-key.js';

const key = generateSecretKey();

describe('sealing a secret value', () => {
  it('opens to the same text, whatever it is, and never shows it', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.string({ minLength: 1 }),
        (value, name) => {
          const sealed = sealSecret(key, value, name);
          expect(isSealed(sealed)).toBe(true);
          if (value.length >= 4) expect(sealed.includes(value)).toBe(false);
          expect(openSecret([key], sealed, name)).toBe(value);
        },
      ),
    );
  });

  it('gives a different ciphertext each time (a random IV per value)', () => {
    expect(sealSecret(key, 'same', 'A')).not.toBe(sealSecret(key, 'same', 'A'));
  });

  it('does not open under another variable, tampered, or without its key, and says which', () => {
    const sealed = sealSecret(key, 'hunter2', 'environment variable DB_PASSWORD');
    expect(() => openSecret([key], sealed, 'environment variable OTHER')).toThrow(
      /OTHER: the stored secret does not open under key \w+ \(damaged, or copied from another variable\)/,
    );
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === 'A' ? 'B' : 'A') + sealed.slice(-1);
    expect(() => openSecret([key], flipped, 'environment variable DB_PASSWORD')).toThrow(/does not open/);
    const other = generateSecretKey();
    expect(() => openSecret([other], sealed, 'environment variable DB_PASSWORD')).toThrow(
      new RegExp(`sealed under key ${key.id}, which this process does not have \\(it has ${other.id}\\)`),
    );
    expect(openSecret([other, key], sealed, 'environment variable DB_PASSWORD')).toBe('hunter2');
  });
});

describe('a secret key', () => {
  it('reads base64 and hex of 32 bytes to the same key, and refuses anything else naming its source', () => {
    const base64 = encodeSecretKey(key);
    expect(parseSecretKey(base64, 'x').id).toBe(key.id);
    expect(parseSecretKey(key.bytes.toString('hex'), 'x').id).toBe(key.id);
    expect(parseSecretKey(key.bytes.toString('base64url'), 'x').id).toBe(key.id);
    for (const bad of ['', 'short', key.bytes.subarray(0, 31).toString('base64'), 'é'.repeat(44)]) {
      expect(() => parseSecretKey(bad, 'STEPFLOW_SECRET_KEY')).toThrow(
        /STEPFLOW_SECRET_KEY must be 32 bytes written as base64 \(44 characters\) or hex \(64 digits\)/,
      );
    }
  });
});
