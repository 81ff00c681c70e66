import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { StepflowError, ERROR_CODES } from '../core/errors.js';
import type { SecretKey } from './secret-key.js';

/**
 * A sealed value: `sfsec:1:<key id>:<iv>:<ciphertext and tag>` (base64url). The key id says which
 * key opens it, so a rotation can tell old values from new and a wrong key is named, not guessed.
 */
export const SEALED_PREFIX = 'sfsec:1:';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** True for a value this module sealed (or one that only looks like it: opening it tells). */
export function isSealed(value: string): boolean {
  return value.startsWith(SEALED_PREFIX);
}

/** The id of the key a sealed value names. */
export function sealedKeyId(sealed: string): string {
  return sealed.slice(SEALED_PREFIX.length).split(':', 1)[0] ?? '';
}

/**
 * AES-256-GCM under `key`, a random 96-bit IV per value. `context` (the variable's name) is
 * authenticated with it: a value moved to another variable does not open.
 */
export function sealSecret(key: SecretKey, value: string, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${SEALED_PREFIX}${key.id}:${iv.toString('base64url')}:${body.toString('base64url')}`;
}

/** The clear text of a sealed value, with the key among `keys` its id names; a `secret_key` error otherwise. */
export function openSecret(keys: readonly SecretKey[], sealed: string, context: string): string {
  const [keyId = '', iv64 = '', body64 = ''] = sealed.slice(SEALED_PREFIX.length).split(':');
  const key = keys.find((k) => k.id === keyId);
  if (key === undefined) {
    throw new StepflowError(
      ERROR_CODES.SECRET_KEY,
      `${context} was sealed under key ${keyId}, which this process does not have ` +
        `(it has ${keys.map((k) => k.id).join(', ') || 'none'}); see docs/SECRETS.md`,
      { details: { keyId, context } },
    );
  }
  const iv = Buffer.from(iv64, 'base64url');
  const body = Buffer.from(body64, 'base64url');
  try {
    if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new Error('truncated');
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, iv);
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(body.subarray(0, body.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch (error) {
    // GCM says only "unable to authenticate": damaged, or moved from another variable.
    throw new StepflowError(
      ERROR_CODES.SECRET_KEY,
      `${context}: the stored secret does not open under key ${keyId} (damaged, or copied from another variable)`,
      { cause: error, details: { keyId, context } },
    );
  }
}
