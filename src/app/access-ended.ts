/**
 * Tells this process's holders of long-lived connections (the live hub) that some credential just
 * stopped working: a sign-out, a revoked token, a disabled, removed or re-passworded user. They
 * re-check whom they serve; no detail travels, so no listener can come to depend on one.
 */
export interface AccessEnded {
  publish(): void;
  subscribe(listener: () => void): () => void;
}

export function createAccessEnded(): AccessEnded {
  const listeners = new Set<() => void>();
  return {
    publish() {
      for (const listener of [...listeners]) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
