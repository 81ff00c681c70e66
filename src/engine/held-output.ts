import type { LogLine } from '../core/model.js';

/** A line's bytes besides its text: the object, its fields, its slot in arrays (about). */
const LINE_OVERHEAD_BYTES = 100;

/**
 * While the store cannot commit: how much log output waits in memory, and whose. Counted from the
 * first failed commit to the recovery; a line's text is measured once, when it is added.
 */
export interface HeldOutput {
  add(executionId: string, lines: readonly LogLine[]): void;
  /** Bytes held, about (text plus a per-line overhead). */
  bytes(): number;
  /**
   * Past `maxBytes`: the executions with output held that were not returned before (each is
   * returned once, to be stopped); else nothing.
   */
  overflowing(): string[];
  clear(): void;
}

export function createHeldOutput(maxBytes: number): HeldOutput {
  let bytes = 0;
  const printing = new Set<string>();
  const returned = new Set<string>();
  return {
    add(executionId, lines) {
      bytes += lines.length * LINE_OVERHEAD_BYTES;
      for (const line of lines) bytes += line.text.length;
      printing.add(executionId);
    },
    bytes: () => bytes,
    overflowing() {
      if (bytes <= maxBytes) return [];
      const ids = [...printing].filter((id) => !returned.has(id));
      for (const id of ids) returned.add(id);
      return ids;
    },
    clear() {
      bytes = 0;
      printing.clear();
      returned.clear();
    },
  };
}
