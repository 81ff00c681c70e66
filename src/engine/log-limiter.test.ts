import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../core/model.js';
import { createLogLimiter } from './log-limiter.js';

const line = (seq: number, text: string): LogLine => ({
  seq,
  ts: seq,
  stream: 'stdout',
  stepId: 1,
  text,
  flags: 0,
});
const bytesOf = (text: string) => Buffer.byteLength(text) + 1;

/** Feeds `texts` in batches of `batch`, then releases; returns what would be stored. */
function run(texts: string[], batch: number, options: Parameters<typeof createLogLimiter>[0]) {
  const limiter = createLogLimiter(options);
  const stored: LogLine[] = [];
  const lines = texts.map((text, i) => line(i + 1, text));
  for (let i = 0; i < lines.length; i += batch) stored.push(...limiter.admit(lines.slice(i, i + batch)));
  stored.push(...limiter.release());
  return { stored, counts: limiter.counts() };
}

describe('log limiter', () => {
  it('under truncate keeps the first and the last half of maxLines, with one gap line giving the exact count', () => {
    const texts = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`);
    const { stored, counts } = run(texts, 7, { maxLines: 10 });
    expect(stored.map((l) => l.text)).toEqual([
      'line 1',
      'line 2',
      'line 3',
      'line 4',
      'line 5',
      `… 90 lines (${texts.slice(5, 95).reduce((sum, t) => sum + bytesOf(t), 0)} B) dropped by maxLines …`,
      'line 96',
      'line 97',
      'line 98',
      'line 99',
      'line 100',
    ]);
    // The gap line takes the first dropped seq; no seq is renumbered.
    expect(stored.map((l) => l.seq)).toEqual([1, 2, 3, 4, 5, 6, 96, 97, 98, 99, 100]);
    expect(counts).toMatchObject({ kind: 'lines', lines: 100, dropped: { lines: 90 } });
  });

  it('under fail keeps maxLines and reports the limit once', () => {
    const kinds: string[] = [];
    const { stored, counts } = run(['a', 'b', 'c', 'd'], 3, {
      maxLines: 2,
      policy: 'fail',
      onExceeded: (kind) => kinds.push(kind),
    });
    expect(stored.map((l) => l.text)).toEqual(['a', 'b', '… 2 lines (4 B) dropped by maxLines …']);
    expect(kinds).toEqual(['lines']);
    expect(counts).toMatchObject({ lines: 4, bytes: 8, dropped: { lines: 2, bytes: 4 } });
  });

  it('stores every line when the log fits', () => {
    const { stored, counts } = run(['a', 'b'], 1, { maxLines: 2, maxLogBytes: 1024 });
    expect(stored.map((l) => l.text)).toEqual(['a', 'b']);
    expect(counts).toBeNull();
  });

  it('keeps seqs ascending, stays within the budget and accounts for every line and byte', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 40, unit: 'grapheme' }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 50 }),
        fc.option(fc.integer({ min: 1, max: 60 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 800 }), { nil: undefined }),
        fc.constantFrom('truncate' as const, 'fail' as const),
        (texts, batch, maxLines, maxLogBytes, policy) => {
          const { stored, counts } = run(texts, batch, { maxLines, maxLogBytes, policy });
          const seqs = stored.map((l) => l.seq);
          expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
          expect(new Set(seqs).size).toBe(seqs.length);
          const kept = stored.filter((l) => l.stream === 'stdout');
          const gap = stored.filter((l) => l.stream === 'system');
          expect(gap.length).toBeLessThanOrEqual(1);
          if (maxLines !== undefined) expect(kept.length).toBeLessThanOrEqual(maxLines);
          const keptBytes = kept.reduce((sum, l) => sum + bytesOf(l.text), 0);
          if (maxLogBytes !== undefined) expect(keptBytes).toBeLessThanOrEqual(maxLogBytes);
          if (counts === null) {
            expect(kept.length).toBe(texts.length);
          } else {
            const total = texts.reduce((sum, t) => sum + bytesOf(t), 0);
            expect(counts.lines).toBe(texts.length);
            expect(counts.bytes).toBe(total);
            expect(counts.dropped.lines).toBe(texts.length - kept.length);
            expect(counts.dropped.bytes).toBe(total - keptBytes);
            expect(gap.length).toBe(counts.dropped.lines > 0 ? 1 : 0);
          }
        },
      ),
    );
  });
});
