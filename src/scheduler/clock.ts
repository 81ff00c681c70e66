/**
 * Time as the scheduler sees it. Production uses the system clock; arithmetic tests pass a fake
 * (or vitest's fake timers), so no test of a schedule has to wait for the wall clock.
 */
export interface Clock {
  now(): number;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

/** Node's setTimeout caps delays at 2^31-1 ms (~24.8 days); longer waits re-arm on the way. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    const timer = setTimeout(callback, Math.min(Math.max(0, delayMs), MAX_DELAY_MS));
    // A timer never keeps the process alive: shutdown is explicit (SIGTERM → stop()).
    timer.unref();
    return timer;
  },
  clearTimer(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
