import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing (docs/USERS.md): scrypt from node:crypto, memory-hard. The hash carries its own
 * parameters (`scrypt$N=32768,r=8,p=1$<salt>$<key>`, base64url), so they can be raised later
 * without breaking stored hashes: verification reads them from the hash. Async: one hash takes
 * ~50-100 ms of a libuv thread, never the event loop.
 */
const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Allowed parameters when reading a hash: a damaged or hostile hash must not ask for gigabytes. */
const MAX_N = 2 ** 20;

function scrypt(
  password: string,
  salt: Buffer,
  options: { N: number; r: number; p: number },
): Promise<Buffer> {
  const scryptOptions: ScryptOptions = {
    ...options,
    // scrypt needs 128 * N * r bytes; Node refuses above 32 MiB unless told.
    maxmem: 256 * options.N * options.r,
  };
  return new Promise((resolve, reject) =>
    scryptCallback(password, salt, KEY_BYTES, scryptOptions, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, { N, r: R, p: P });
  return `scrypt$N=${N},r=${R},p=${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/**
 * Whether `password` matches `encoded`, compared in constant time. False for anything that is not a
 * hash this code can read (never throws): a user without a password cannot sign in by one.
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const match = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([\w-]+)\$([\w-]+)$/.exec(encoded);
  if (match === null) return false;
  const [n, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (n < 2 || n > MAX_N || (n & (n - 1)) !== 0 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const expected = Buffer.from(match[5] ?? '', 'base64url');
  if (expected.length !== KEY_BYTES) return false;
  const key = await scrypt(password, Buffer.from(match[4] ?? '', 'base64url'), { N: n, r, p });
  return timingSafeEqual(key, expected);
}

/** Whether a stored hash uses weaker parameters than today's (to re-hash on the next sign-in). */
export function needsRehash(encoded: string): boolean {
  return !encoded.startsWith(`scrypt$N=${N},r=${R},p=${P}$`);
}
