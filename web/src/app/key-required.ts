/** Whether the server has refused this browser's key (set from failed queries in main.tsx). */
let required = false;
const listeners = new Set<() => void>();

export const keyRequired = {
  get: (): boolean => required,
  set(value: boolean): void {
    if (value === required) return;
    required = value;
    for (const listener of listeners) listener();
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
