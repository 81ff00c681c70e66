import { describe, expect, it } from 'vitest';
import { lineExcerpt } from './line-excerpt.js';

describe('lineExcerpt', () => {
  it('marks every occurrence in the visible text, escapes removed', () => {
    expect(lineExcerpt('\x1b[31mERROR\x1b[0m: disk error', 'error')).toEqual({
      text: 'ERROR: disk error',
      highlights: [
        [0, 5],
        [12, 17],
      ],
      clippedStart: false,
      clippedEnd: false,
    });
  });

  it('cuts a long line around the first match, keeping some text before it', () => {
    const line = `${'a'.repeat(1000)}NEEDLE${'b'.repeat(1000)}`;
    const excerpt = lineExcerpt(line, 'needle', { maxChars: 100, before: 10 });
    expect(excerpt).toMatchObject({ clippedStart: true, clippedEnd: true, highlights: [[10, 16]] });
    expect(excerpt.text).toBe(`${'a'.repeat(10)}NEEDLE${'b'.repeat(84)}`);
    expect(lineExcerpt(`${'a'.repeat(1000)}end`, 'end', { maxChars: 50 })).toMatchObject({
      text: `${'a'.repeat(47)}end`,
      clippedStart: true,
      clippedEnd: false,
    });
  });

  it('never splits an emoji and gives no offsets when folding changes lengths', () => {
    const excerpt = lineExcerpt(`${'😀'.repeat(100)}xyz`, 'xyz', { maxChars: 8, before: 4 });
    expect(excerpt.text).toBe('😀😀xyz');
    expect(excerpt.highlights).toEqual([[4, 7]]);
    expect(lineExcerpt('İstanbul abc', 'abc').highlights).toEqual([]);
  });
});
