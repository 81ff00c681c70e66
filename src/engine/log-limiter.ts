import type { LogLine } from '../core/model.js';
import type { LimitKind, LogLimitPolicy } from '../core/run-limits.js';
import { formatSize } from '../core/run-limits.js';

export interface LogLimiterOptions {
  maxLines?: number | undefined;
  maxLogBytes?: number | undefined;
  policy?: LogLimitPolicy | undefined;
  /** Called once, when the first line is dropped (the limit is passed). */
  onExceeded?: (kind: Extract<LimitKind, 'lines' | 'logBytes'>) => void;
}

interface LogLimitCounts {
  kind: Extract<LimitKind, 'lines' | 'logBytes'>;
  /** Everything that went through the limiter. */
  lines: number;
  bytes: number;
  dropped: { lines: number; bytes: number };
}

/**
 * What of a run's log is stored, past `maxLines` / `maxLogBytes` (docs/LIMITS.md). It sits after
 * the marker interpreter, so every marker is interpreted whatever is dropped: only the stored
 * text is cut. Seqs are never renumbered (steps and annotations point at them); what is dropped
 * leaves a gap in them, and the gap line takes the first dropped seq.
 *
 * `truncate`: the first half of the budget is published as it comes (the head); after it, lines
 * are held in a ring holding the other half (the tail), the oldest dropped as new ones come; the
 * end publishes the gap line and the tail. `fail`: the whole budget is the head, nothing is held,
 * and the caller stops the run on `onExceeded`.
 */
export interface LogLimiter {
  /** The lines to publish now, of `lines` (in seq order). */
  admit(lines: LogLine[]): LogLine[];
  /** Ends the limit: the gap line and the held tail, to publish; from then on admit passes all. */
  release(): LogLine[];
  /** Null until a line was dropped. */
  counts(): LogLimitCounts | null;
}

const encoder = new TextEncoder();
/** UTF-8 bytes of `text` plus its newline, without allocating for the common (ASCII) case. */
function lineBytes(text: string): number {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    if (text.charCodeAt(i) > 0x7f) return encoder.encode(text).length + 1;
  }
  return n + 1;
}

export function createLogLimiter({
  maxLines,
  maxLogBytes,
  policy = 'truncate',
  onExceeded,
}: LogLimiterOptions): LogLimiter {
  const lineLimit = maxLines ?? Number.POSITIVE_INFINITY;
  const byteLimit = maxLogBytes ?? Number.POSITIVE_INFINITY;
  const limited = maxLines !== undefined || maxLogBytes !== undefined;
  // Bytes are counted under maxLines too: the gap line says how much it stands for.
  const countBytes = limited;
  const half = (limit: number) => (policy === 'fail' ? limit : Math.ceil(limit / 2));
  const headLines = half(lineLimit);
  const headBytes = half(byteLimit);
  const rest = (limit: number, head: number) => (limit === Number.POSITIVE_INFINITY ? limit : limit - head);
  const tailLines = rest(lineLimit, headLines);
  const tailBytes = rest(byteLimit, headBytes);

  let released = !limited;
  let kind: LogLimitCounts['kind'] | null = null;
  let lines = 0;
  let bytes = 0;
  // The tail ring: held[heldStart…] are kept, what is before heldStart was dropped.
  let held: LogLine[] = [];
  let heldBytes: number[] = [];
  let heldStart = 0;
  let heldByteSum = 0;
  let droppedLines = 0;
  let droppedBytes = 0;
  let firstDropped: LogLine | null = null;

  const drop = (line: LogLine, size: number): void => {
    if (firstDropped === null) {
      firstDropped = line;
      onExceeded?.(kind ?? 'lines');
    }
    droppedLines++;
    droppedBytes += size;
  };

  return {
    admit(batch) {
      if (released) return batch;
      let i = 0;
      const n = batch.length;
      if (kind === null) {
        // The head: published as it comes.
        for (; i < n; i++) {
          const size = countBytes ? lineBytes((batch[i] as LogLine).text) : 0;
          if (lines + 1 > headLines || bytes + size > headBytes) {
            kind = lines + 1 > headLines ? 'lines' : 'logBytes';
            break;
          }
          lines++;
          bytes += size;
        }
        if (i === n) return batch;
      }
      const head = i === 0 ? [] : batch.slice(0, i);
      for (; i < n; i++) {
        const line = batch[i] as LogLine;
        const size = countBytes ? lineBytes(line.text) : 0;
        lines++;
        bytes += size;
        held.push(line);
        heldBytes.push(size);
        heldByteSum += size;
        while (held.length - heldStart > tailLines || heldByteSum > tailBytes) {
          const oldest = held[heldStart] as LogLine;
          const oldestSize = heldBytes[heldStart] as number;
          heldStart++;
          heldByteSum -= oldestSize;
          drop(oldest, oldestSize);
        }
      }
      if (heldStart > 4096 && heldStart * 2 > held.length) {
        held = held.slice(heldStart);
        heldBytes = heldBytes.slice(heldStart);
        heldStart = 0;
      }
      return head;
    },

    release() {
      if (released) return [];
      released = true;
      const tail = held.slice(heldStart);
      held = [];
      heldBytes = [];
      if (firstDropped === null) return tail;
      const by = kind === 'lines' ? 'maxLines' : 'maxLogBytes';
      const gap: LogLine = {
        seq: firstDropped.seq,
        ts: firstDropped.ts,
        stream: 'system',
        stepId: null,
        text: `… ${droppedLines.toLocaleString('en-US')} lines (${formatSize(droppedBytes)}) dropped by ${by} …`,
        flags: 0,
      };
      return [gap, ...tail];
    },

    counts() {
      if (kind === null || firstDropped === null) return null;
      return { kind, lines, bytes, dropped: { lines: droppedLines, bytes: droppedBytes } };
    },
  };
}
