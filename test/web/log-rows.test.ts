import { describe, expect, it } from 'vitest';
import {
  buildRows,
  extendOutline,
  stepOfSeq,
  type Row,
  type RowStep,
} from '../../web/src/features/log/log-rows.js';

// Lines: 1-2 outside steps, Build (1) 3-4, its child Test (2) 5-7, Build again 8, Deploy (3) 9-10.
const segments = [
  { stepId: null, firstSeq: 1, lastSeq: 2 },
  { stepId: 1, firstSeq: 3, lastSeq: 4 },
  { stepId: 2, firstSeq: 5, lastSeq: 7 },
  { stepId: 1, firstSeq: 8, lastSeq: 8 },
  { stepId: 3, firstSeq: 9, lastSeq: 10 },
];
const steps: RowStep[] = [
  { id: 1, parentId: null, firstSeq: 3 },
  { id: 2, parentId: 1, firstSeq: 5 },
  { id: 3, parentId: null, firstSeq: 9 },
];

const describeRows = (collapsed: number[]): string[] => {
  const rows = buildRows(segments, steps, (id) => collapsed.includes(id));
  return Array.from({ length: rows.count }, (_, i) => {
    const row = rows.rowAt(i) as Row;
    return row.kind === 'header' ? `${row.depth}:step${row.stepId}` : `${row.depth}:${row.seq}`;
  });
};

describe('log rows', () => {
  it('puts each step header before its first line, nested steps deeper', () => {
    expect(describeRows([])).toEqual([
      '0:1',
      '0:2',
      '0:step1',
      '1:3',
      '1:4',
      '1:step2',
      '2:5',
      '2:6',
      '2:7',
      '1:8',
      '0:step3',
      '1:9',
      '1:10',
    ]);
  });

  it('hides the lines and nested steps of a collapsed step, keeping its header', () => {
    expect(describeRows([1])).toEqual(['0:1', '0:2', '0:step1', '0:step3', '1:9', '1:10']);
    expect(describeRows([2, 3])).toEqual([
      '0:1',
      '0:2',
      '0:step1',
      '1:3',
      '1:4',
      '1:step2',
      '1:8',
      '0:step3',
    ]);
  });

  it('maps seqs and steps to rows, -1 when hidden', () => {
    const rows = buildRows(segments, steps, (id) => id === 2);
    expect(rows.rowOfSeq(1)).toBe(0);
    expect(rows.rowOfSeq(3)).toBe(3);
    expect(rows.rowOfSeq(6)).toBe(-1);
    expect(rows.rowOfSeq(8)).toBe(6);
    expect(rows.rowOfSeq(10)).toBe(9);
    expect(rows.rowOfSeq(11)).toBe(-1);
    expect(rows.rowOfStep(2)).toBe(5);
    expect(rows.rowOfStep(3)).toBe(7);
    expect(buildRows(segments, steps, (id) => id === 1).rowOfStep(2)).toBe(-1);
    expect(rows.rowAt(-1)).toBeUndefined();
    expect(rows.rowAt(rows.count)).toBeUndefined();
  });

  it('stays cheap for a million lines: rows are blocks, not objects per line', () => {
    const big = [{ stepId: 1, firstSeq: 1, lastSeq: 1_000_000 }];
    const rows = buildRows(big, [{ id: 1, parentId: null, firstSeq: 1 }], () => false);
    expect(rows.count).toBe(1_000_001);
    expect(rows.rowAt(1_000_000)).toEqual({ kind: 'line', seq: 1_000_000, stepId: 1, depth: 1 });
    expect(rows.rowOfSeq(500_000)).toBe(500_000);
  });

  it('finds the step of a seq and extends the outline with live lines', () => {
    expect(stepOfSeq(segments, 6)).toBe(2);
    expect(stepOfSeq(segments, 1)).toBeNull();
    expect(stepOfSeq(segments, 99)).toBeUndefined();
    const outline = { lastSeq: 10, segments };
    const extended = extendOutline(outline, [
      { seq: 10, stepId: 3 },
      { seq: 11, stepId: 3 },
      { seq: 12, stepId: null },
    ]);
    expect(extended).toEqual({
      lastSeq: 12,
      segments: [
        ...segments.slice(0, 4),
        { stepId: 3, firstSeq: 9, lastSeq: 11 },
        { stepId: null, firstSeq: 12, lastSeq: 12 },
      ],
    });
    expect(segments[4]).toEqual({ stepId: 3, firstSeq: 9, lastSeq: 10 });
    expect(extendOutline(outline, [{ seq: 5, stepId: 2 }])).toBe(outline);
    expect(extendOutline(outline, [{ seq: 12, stepId: 2 }])).toBeUndefined();
  });
});
