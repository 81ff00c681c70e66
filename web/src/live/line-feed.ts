import type { LiveLine } from '../api/types.js';

/**
 * Live log lines of one execution, handed from the page's single WebSocket subscription to
 * whoever shows them (the log viewer). Lines arrive in seq order, each once.
 */
export interface LineFeed {
  subscribe(listener: (lines: readonly LiveLine[]) => void): () => void;
}

export function createLineFeed(): LineFeed & { push(lines: readonly LiveLine[]): void } {
  const listeners = new Set<(lines: readonly LiveLine[]) => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    push(lines) {
      for (const listener of listeners) listener(lines);
    },
  };
}
