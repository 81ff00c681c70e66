import type { LogOutline } from './log-api.js';

/**
 * The log pane's rows, computed from the outline (seq ranges per step) and the steps, never from
 * the lines themselves: a million-line log is a few hundred blocks, so this is rebuilt whole on
 * every collapse or live batch and a row is found by binary search.
 *
 * A step's header sits just before its first line (`firstSeq`); a line belongs to its innermost
 * step; collapsing a step hides its lines and every step nested in it.
 */

export type LogSegment = LogOutline['segments'][number];

export interface RowStep {
  id: number;
  parentId: number | null;
  firstSeq: number;
}

export type Row =
  | { kind: 'header'; stepId: number; depth: number }
  | { kind: 'line'; seq: number; stepId: number | null; depth: number };

interface Block {
  /** First row index of the block. */
  start: number;
  /** Headers: one row. Lines: `count` rows from `first`. */
  header: boolean;
  stepId: number | null;
  first: number;
  count: number;
  depth: number;
}

export interface LogRows {
  readonly count: number;
  rowAt(index: number): Row | undefined;
  /** Row of the line, or -1 when it is hidden in a collapsed step or not in the outline. */
  rowOfSeq(seq: number): number;
  /** Row of the step's header, or -1 when hidden or not yet in the log. */
  rowOfStep(stepId: number): number;
}

const MAX_DEPTH = 64;

export function buildRows(
  segments: readonly LogSegment[],
  steps: readonly RowStep[],
  isCollapsed: (stepId: number) => boolean,
): LogRows {
  const byId = new Map<number, RowStep>();
  for (const step of steps) byId.set(step.id, step);
  const depths = new Map<number, number>();
  const depthOf = (id: number): number => {
    let depth = depths.get(id);
    if (depth === undefined) {
      depth = 0;
      for (let parent = byId.get(id)?.parentId ?? null; parent !== null && depth < MAX_DEPTH; depth++) {
        parent = byId.get(parent)?.parentId ?? null;
      }
      depths.set(id, depth);
    }
    return depth;
  };
  /** True when the step or one of its ancestors is collapsed. */
  const hiddenInside = new Map<number, boolean>();
  const contentHidden = (id: number): boolean => {
    let hidden = hiddenInside.get(id);
    if (hidden === undefined) {
      const parent = byId.get(id)?.parentId ?? null;
      hidden = isCollapsed(id) || (parent !== null && byId.has(parent) && contentHidden(parent));
      hiddenInside.set(id, hidden);
    }
    return hidden;
  };
  const headerHidden = (step: RowStep): boolean =>
    step.parentId !== null && byId.has(step.parentId) && contentHidden(step.parentId);

  const lastSeq = segments.at(-1)?.lastSeq ?? 0;
  const headers = steps
    .filter((step) => step.firstSeq <= lastSeq)
    .sort((a, b) => a.firstSeq - b.firstSeq || a.id - b.id);
  const blocks: Block[] = [];
  const headerRows = new Map<number, number>();
  let rows = 0;
  let h = 0;
  const emitHeadersUpTo = (seq: number): void => {
    for (; h < headers.length && (headers[h] as RowStep).firstSeq <= seq; h++) {
      const step = headers[h] as RowStep;
      if (headerHidden(step)) continue;
      headerRows.set(step.id, rows);
      blocks.push({
        start: rows,
        header: true,
        stepId: step.id,
        first: step.firstSeq,
        count: 1,
        depth: depthOf(step.id),
      });
      rows++;
    }
  };
  for (const segment of segments) {
    const known = segment.stepId !== null && byId.has(segment.stepId);
    const hidden = known && contentHidden(segment.stepId as number);
    const depth = known ? depthOf(segment.stepId as number) + 1 : 0;
    let seq = segment.firstSeq;
    while (seq <= segment.lastSeq) {
      emitHeadersUpTo(seq);
      const nextHeader = h < headers.length ? (headers[h] as RowStep).firstSeq : Infinity;
      const end = Math.min(segment.lastSeq, nextHeader - 1);
      if (!hidden) {
        const count = end - seq + 1;
        blocks.push({ start: rows, header: false, stepId: segment.stepId, first: seq, count, depth });
        rows += count;
      }
      seq = end + 1;
    }
  }

  /** Index of the last block starting at or before `row`. */
  const blockAtRow = (row: number): Block | undefined => {
    let lo = 0;
    let hi = blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((blocks[mid] as Block).start <= row) lo = mid;
      else hi = mid - 1;
    }
    return blocks[lo];
  };

  return {
    count: rows,
    rowAt(index) {
      if (index < 0 || index >= rows) return undefined;
      const block = blockAtRow(index);
      if (block === undefined) return undefined;
      if (block.header) return { kind: 'header', stepId: block.stepId as number, depth: block.depth };
      return {
        kind: 'line',
        seq: block.first + index - block.start,
        stepId: block.stepId,
        depth: block.depth,
      };
    },
    rowOfSeq(seq) {
      // Blocks are in seq order (a header's `first` is its step's first line, which follows it):
      // take the last block starting at or before seq, step back over headers, check the range.
      let i = blocks.length - 1;
      let lo = 0;
      while (lo < i) {
        const mid = (lo + i + 1) >> 1;
        if ((blocks[mid] as Block).first <= seq) lo = mid;
        else i = mid - 1;
      }
      while (i >= 0 && (blocks[i] as Block).header) i--;
      const block = blocks[i];
      if (block === undefined || seq < block.first || seq >= block.first + block.count) return -1;
      return block.start + seq - block.first;
    },
    rowOfStep(stepId) {
      return headerRows.get(stepId) ?? -1;
    },
  };
}

/** The step owning a line, from the outline (undefined when the seq is not in it). */
export function stepOfSeq(segments: readonly LogSegment[], seq: number): number | null | undefined {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const segment = segments[mid] as LogSegment;
    if (seq < segment.firstSeq) hi = mid - 1;
    else if (seq > segment.lastSeq) lo = mid + 1;
    else return segment.stepId;
  }
  return undefined;
}

/**
 * Adds live lines to an outline (a new object when anything changed, so React sees it). Returns
 * undefined when the lines do not follow the outline's last seq: the caller refetches the outline.
 */
export function extendOutline(
  outline: LogOutline,
  lines: readonly { seq: number; stepId: number | null }[],
): LogOutline | undefined {
  let segments: LogSegment[] | undefined;
  // The outline's own last segment is copied before it is changed; segments added here are ours.
  let last: LogSegment | undefined;
  let lastSeq = outline.lastSeq;
  for (const line of lines) {
    if (line.seq <= lastSeq) continue;
    if (line.seq !== lastSeq + 1) return undefined;
    if (segments === undefined) {
      segments = outline.segments.slice();
      const tail = segments.at(-1);
      if (tail !== undefined) segments[segments.length - 1] = last = { ...tail };
    }
    if (last !== undefined && last.stepId === line.stepId) {
      last.lastSeq = line.seq;
    } else {
      last = { stepId: line.stepId, firstSeq: line.seq, lastSeq: line.seq };
      segments.push(last);
    }
    lastSeq = line.seq;
  }
  return segments === undefined ? outline : { lastSeq, segments };
}
