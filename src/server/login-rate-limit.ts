import { ERROR_CODES, StepflowError } from '../core/errors.js';

/** How many failed sign-ins are allowed per window, per client address and per user name. */
export interface LoginRateLimitOptions {
  windowMs: number;
  perAddress: number;
  perName: number;
}

export const DEFAULT_LOGIN_RATE_LIMIT: LoginRateLimitOptions = {
  windowMs: 15 * 60_000,
  perAddress: 20,
  perName: 10,
};

/** Keys remembered at most: past this, the oldest are forgotten (bounded memory under a spray). */
const MAX_KEYS = 10_000;

/**
 * A sliding window of failed sign-ins, in memory (docs/USERS.md): each replica counts its own,
 * so with N replicas behind a balancer an attacker gets up to N times the allowance.
 */
export function createLoginRateLimit(
  options: LoginRateLimitOptions = DEFAULT_LOGIN_RATE_LIMIT,
  now: () => number = Date.now,
): {
  /** Throws `rate_limited` (429) when either key is over its allowance. */
  check(address: string, name: string): void;
  fail(address: string, name: string): void;
} {
  const failures = new Map<string, number[]>();
  const recent = (key: string): number[] => {
    const since = now() - options.windowMs;
    const times = (failures.get(key) ?? []).filter((t) => t > since);
    if (times.length === 0) failures.delete(key);
    else failures.set(key, times);
    return times;
  };
  const refuse = (times: number[], limit: number): void => {
    if (times.length < limit) return;
    const retryAfter = Math.max(1, Math.ceil(((times[0] ?? now()) + options.windowMs - now()) / 1000));
    throw new StepflowError(
      ERROR_CODES.RATE_LIMITED,
      `too many failed sign-ins: try again in ${retryAfter} s`,
      {
        details: { retryAfterSeconds: retryAfter },
      },
    );
  };
  const add = (key: string): void => {
    const times = [...recent(key), now()];
    // Re-inserted: Map keeps insertion order, so the first keys are the least recently failed.
    failures.delete(key);
    failures.set(key, times);
    for (const oldest of failures.keys()) {
      if (failures.size <= MAX_KEYS) break;
      failures.delete(oldest);
    }
  };
  return {
    check(address, name) {
      refuse(recent(`a:${address}`), options.perAddress);
      refuse(recent(`n:${name}`), options.perName);
    },
    fail(address, name) {
      add(`a:${address}`);
      add(`n:${name}`);
    },
  };
}
