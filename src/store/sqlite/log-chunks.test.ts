import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../core/model.js';
import { decodeLogChunk, encodeLogChunks } from './log-chunks.js';

const line = (seq: number, fields: Partial<LogLine> = {}): LogLine => ({
  seq,
  ts: 1000,
  stream: 'stdout',
  stepId: 1,
  text: `l${seq}`,
  flags: 0,
  ...fields,
});
const range = (from: number, to: number, fields: (seq: number) => Partial<LogLine> = () => ({})): LogLine[] =>
  Array.from({ length: to - from + 1 }, (_, i) => line(from + i, fields(from + i)));
const spans = (lines: LogLine[], afterSeq = 0, limits?: { maxLines: number; maxChars: number }) =>
  encodeLogChunks(lines, afterSeq, limits).chunks.map((c) => [c.seqStart, c.seqEnd]);

describe('encodeLogChunks', () => {
  it('keeps a run of plain lines in one chunk with no per-line data', () => {
    const { chunks, lastSeq } = encodeLogChunks(range(1, 3), 0);
    expect(chunks).toEqual([
      {
        seqStart: 1,
        seqEnd: 3,
        tsStart: 1000,
        stream: 'stdout',
        stepId: 1,
        tsDeltas: null,
        flags: null,
        text: 'l1\nl2\nl3',
      },
    ]);
    expect(lastSeq).toBe(3);
  });

  it('splits where the stream or the step changes', () => {
    const lines = range(1, 6, (seq) => ({
      stream: seq === 3 ? 'stderr' : 'stdout',
      stepId: seq >= 5 ? null : 1,
    }));
    expect(spans(lines)).toEqual([
      [1, 2],
      [3, 3],
      [4, 4],
      [5, 6],
    ]);
  });

  it('splits at the line and size limits', () => {
    expect(spans(range(1, 7), 0, { maxLines: 3, maxChars: 1000 })).toEqual([
      [1, 3],
      [4, 6],
      [7, 7],
    ]);
    // 'l1\nl2' is 5 chars; adding '\nl3' would make 8.
    expect(spans(range(1, 4), 0, { maxLines: 100, maxChars: 6 })).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(spans([line(1, { text: 'x'.repeat(50) }), line(2)], 0, { maxLines: 100, maxChars: 10 })).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('skips lines at or below the stored seq and splits at gaps', () => {
    expect(spans(range(1, 10), 4)).toEqual([[5, 10]]);
    expect(encodeLogChunks(range(1, 3), 3)).toEqual({ chunks: [], lastSeq: 3 });
    expect(spans([...range(1, 3), ...range(2, 5), ...range(8, 9)])).toEqual([
      [1, 3],
      [4, 5],
      [8, 9],
    ]);
  });

  it('gives a line holding a newline a chunk of its own', () => {
    expect(spans([line(1), line(2, { text: 'a\nb' }), line(3)])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it('records timestamps as deltas and flags as sparse pairs only when they vary', () => {
    const [chunk] = encodeLogChunks(
      range(1, 4, (seq) => ({ ts: [1000, 1003, 1003, 1001][seq - 1] ?? 0, flags: seq === 3 ? 2 : 0 })),
      0,
    ).chunks;
    expect(chunk).toMatchObject({ tsStart: 1000, tsDeltas: '3,0,-2', flags: '2:2' });
  });
});

describe('decodeLogChunk', () => {
  it('restores the exact lines it was given', () => {
    const lines = range(7, 1500, (seq) => ({
      ts: 5000 + Math.floor(seq / 7),
      flags: seq % 100 === 0 ? 3 : 0,
      text: seq % 11 === 0 ? '' : `line ${seq} ✓`,
      stream: 'stderr',
      stepId: null,
    }));
    const decoded = encodeLogChunks(lines, 0).chunks.flatMap(decodeLogChunk);
    expect(decoded).toEqual(lines);
  });

  it('reports a chunk whose text does not hold its line count as corrupt', () => {
    const [chunk] = encodeLogChunks(range(1, 3), 0).chunks;
    expect(() => decodeLogChunk({ ...chunk!, text: 'only\ntwo' })).toThrow(
      expect.objectContaining({ code: 'store_corrupt' }),
    );
  });
});
