import { LineFlag, type LogLine } from '../core/model.js';

/** What the terminal view keeps of one step's output. */
interface KeptOutput {
  /** Lines the step printed (markers excluded), kept or not. */
  count: number;
  /** The last of them, oldest first, as printed (ANSI included), each cut at `maxChars`. */
  lines: string[];
}

interface Entry extends KeptOutput {
  keep: number;
  /** The last kept line continues in the next piece (a line longer than the splitter's cap). */
  open: boolean;
}

export interface StepOutput {
  /** One `log.lines` batch. */
  add(batch: readonly LogLine[]): void;
  get(stepId: number | null): KeptOutput | undefined;
  /** From now on keeps only the last `keep` lines of the step (once its full output is not wanted). */
  shrink(stepId: number, keep: number): void;
  /** The step of the last output line, `undefined` before any. */
  lastStepId(): number | null | undefined;
}

/**
 * The last `keep` lines of each step and their count, so the view never holds a whole log. It works
 * per batch: consecutive lines of one step are one run, of which only the last `keep` are copied;
 * the rest are only counted.
 */
export function createStepOutput({ keep, maxChars = 2000 }: { keep: number; maxChars?: number }): StepOutput {
  const entries = new Map<number | null, Entry>();
  let last: number | null | undefined;
  const cut = (text: string) => (text.length > maxChars ? `${text.slice(0, maxChars)}…` : text);

  const addRun = (batch: readonly LogLine[], start: number, end: number): void => {
    const stepId = batch[start]!.stepId;
    let entry = entries.get(stepId);
    if (!entry) {
      entry = { count: 0, lines: [], keep, open: false };
      entries.set(stepId, entry);
    }
    // From the end back: the first piece worth copying; every complete line is counted.
    let from = end;
    let taken = 0;
    let printed = false;
    for (let i = end - 1; i >= start; i--) {
      const flags = batch[i]!.flags;
      if (flags & LineFlag.Marker) continue;
      printed = true;
      if (!(flags & LineFlag.Continued)) entry.count++;
      if (taken < entry.keep) {
        from = i;
        taken++;
      }
    }
    if (!printed) return;
    last = stepId;
    // Skipped pieces completed whatever line was open.
    if (from > start && entry.open) entry.open = false;
    const lines = entry.lines;
    for (let i = from; i < end; i++) {
      const line = batch[i]!;
      if (line.flags & LineFlag.Marker) continue;
      if (entry.open && lines.length > 0) lines[lines.length - 1] = cut(lines[lines.length - 1]! + line.text);
      else lines.push(cut(line.text));
      entry.open = (line.flags & LineFlag.Continued) !== 0;
    }
    if (lines.length > entry.keep) lines.splice(0, lines.length - entry.keep);
  };

  return {
    add(batch) {
      let start = 0;
      while (start < batch.length) {
        const stepId = batch[start]!.stepId;
        let end = start + 1;
        while (end < batch.length && batch[end]!.stepId === stepId) end++;
        addRun(batch, start, end);
        start = end;
      }
    },
    get(stepId) {
      const entry = entries.get(stepId);
      return entry && { count: entry.count, lines: entry.lines };
    },
    shrink(stepId, keepNow) {
      const entry = entries.get(stepId);
      if (!entry) return;
      entry.keep = keepNow;
      if (entry.lines.length > keepNow) entry.lines.splice(0, entry.lines.length - keepNow);
    },
    lastStepId: () => last,
  };
}
