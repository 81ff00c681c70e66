import { createHash, randomBytes } from 'node:crypto';
import { StepflowError, ERROR_CODES } from '../core/errors.js';

/** An AES-256 key and the id stored beside every value sealed under it. */
export interface SecretKey {
  /** 12 hex digits of the key's SHA-256: tells keys apart without saying anything about them. */
  id: string;
  bytes: Buffer;
}

const KEY_BYTES = 32;

/** The key `text` encodes (32 bytes as base64 or hex), or a `secret_key` error naming `source`. */
export function parseSecretKey(text: string, source: string): SecretKey {
  const trimmed = text.trim();
  const bytes = /^[0-9a-f]{64}$/i.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)
      ? Buffer.from(trimmed, 'base64')
      : Buffer.alloc(0);
  if (bytes.length !== KEY_BYTES) {
    throw new StepflowError(
      ERROR_CODES.SECRET_KEY,
      `${source} must be 32 bytes written as base64 (44 characters) or hex (64 digits); ` +
        `generate one with: openssl rand -base64 32`,
      { details: { source } },
    );
  }
  return keyOf(bytes);
}

/** A new random key. */
export function generateSecretKey(): SecretKey {
  return keyOf(randomBytes(KEY_BYTES));
}

/** How a key is written to a key file or a variable: base64 and a newline. */
export function encodeSecretKey(key: SecretKey): string {
  return `${key.bytes.toString('base64')}\n`;
}

function keyOf(bytes: Buffer): SecretKey {
  return { id: createHash('sha256').update(bytes).digest('hex').slice(0, 12), bytes };
}
