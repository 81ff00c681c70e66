import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countLineMatches, countOccurrences, searchLines, searchNeedle } from './log-text-search.js';

const hits = (text: string, lineCount: number, query: string): [number, number][] => {
  const out: [number, number][] = [];
  searchLines(text, lineCount, searchNeedle(query), (index, count) => out.push([index, count]));
  return out;
};

describe('log text search', () => {
  it('counts non-overlapping occurrences from the left', () => {
    expect(countOccurrences('aaaa', 'aa')).toBe(2);
    expect(countOccurrences('abcabc', 'abc')).toBe(2);
    expect(countOccurrences('abc', 'x')).toBe(0);
  });

  it('ignores case, including non-ASCII letters, and ANSI escapes', () => {
    expect(countLineMatches('ERROR error ErRoR', searchNeedle('error'))).toBe(3);
    expect(countLineMatches('Élan élan', searchNeedle('ÉLAN'))).toBe(2);
    expect(countLineMatches('\x1b[31mfoo\x1b[0mbar', searchNeedle('foobar'))).toBe(1);
    expect(countLineMatches('\x1b[31mred\x1b[0m', searchNeedle('31m'))).toBe(0);
  });

  it('maps hits in a plain chunk to their lines, with per-line counts', () => {
    expect(hits('one\ntwo two\n\nthree\ntwo', 5, 'TWO')).toEqual([
      [1, 2],
      [4, 1],
    ]);
    expect(hits('x\ny', 2, 'z')).toEqual([]);
  });

  it('never matches across lines, and strips escapes line by line', () => {
    expect(hits('ab\ncd', 2, 'b\nc')).toEqual([]);
    // An unterminated OSC in line 0 must not hide line 1.
    expect(hits('\x1b]0;title\nfind me', 2, 'find')).toEqual([[1, 1]]);
    expect(hits('\x1b[1mA\x1b[0m\nb a', 2, 'a')).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it('treats a one-line chunk as one line even when it holds a newline', () => {
    expect(hits('a\na', 1, 'a')).toEqual([[0, 2]]);
  });

  it('agrees with line-by-line counting on mixed text', () => {
    const lines = Array.from({ length: 200 }, (_, i) => (i % 7 === 0 ? `Err ${i} ERR` : `ok ${i}`));
    const expected = lines
      .map((text, index) => [index, countLineMatches(text, 'err')] as [number, number])
      .filter(([, count]) => count > 0);
    expect(hits(lines.join('\n'), lines.length, 'eRr')).toEqual(expected);
  });

  it('finds what line-by-line folding finds, whatever the letters (property)', () => {
    const pieces = [
      'a',
      'A',
      'k',
      'K',
      '\u212a',
      'i',
      'I',
      '\u0130',
      'ß',
      'SS',
      'σ',
      'Σ',
      ' ',
      '.',
      '*',
      '\\',
      '😀',
      '\n',
    ];
    const text = fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((parts) => parts.join(''));
    const needle = fc
      .array(fc.constantFrom(...pieces.filter((p) => p !== '\n')), { minLength: 1, maxLength: 3 })
      .map((parts) => searchNeedle(parts.join('')));
    fc.assert(
      fc.property(text, needle, (chunk, folded) => {
        const lines = chunk.split('\n');
        const expected = lines
          .map((line, index) => [index, countLineMatches(line, folded)] as [number, number])
          .filter(([, count]) => count > 0);
        expect(hits(chunk, lines.length, folded)).toEqual(
          lines.length === 1 ? hits(chunk, 1, folded) : expected,
        );
      }),
      { numRuns: 2000 },
    );
  });
});
