import type { Application } from '../app/application.js';

/** Counts log lines as the engine publishes them, for the health endpoints. */
export interface IngestMeter {
  /** Lines published since the meter started. */
  total(): number;
  /** Mean lines per second over the last whole seconds (up to the window), 0 before the first. */
  perSecond(): number;
  /** Stops listening. */
  close(): void;
}

export interface IngestMeterOptions {
  events: Application['events'];
  windowSeconds?: number;
  now?: () => number;
}

/**
 * The event stream is the hot path, so the listener adds one number per `log.lines` event (a batch of
 * lines), never per line. The rate comes from one bucket per second kept in a small ring.
 */
export function createIngestMeter({
  events,
  windowSeconds = 10,
  now = Date.now,
}: IngestMeterOptions): IngestMeter {
  const startSecond = secondOf(now());
  // One slot per complete second of the window plus the current, partial one.
  const slots = windowSeconds + 1;
  const counts = new Array<number>(slots).fill(0);
  const seconds = new Array<number>(slots).fill(-1);
  let total = 0;

  const unsubscribe = events.subscribe((event) => {
    if (event.type !== 'log.lines') return;
    const second = secondOf(now());
    const slot = second % slots;
    if (seconds[slot] !== second) {
      seconds[slot] = second;
      counts[slot] = 0;
    }
    counts[slot] = (counts[slot] ?? 0) + event.lines.length;
    total += event.lines.length;
  });

  return {
    total: () => total,
    perSecond() {
      const current = secondOf(now());
      // Only complete seconds count: the current one is still filling up.
      const complete = Math.min(windowSeconds, current - startSecond);
      if (complete <= 0) return 0;
      let sum = 0;
      for (let second = current - complete; second < current; second++) {
        const slot = second % slots;
        if (seconds[slot] === second) sum += counts[slot] ?? 0;
      }
      return sum / complete;
    },
    close: unsubscribe,
  };
}

const secondOf = (ms: number): number => Math.floor(ms / 1000);
