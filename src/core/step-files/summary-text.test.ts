import { describe, expect, it } from 'vitest';
import { appendSummary, EMPTY_SUMMARY, SUMMARY_CUT_NOTE } from './summary-text.js';

describe('appendSummary', () => {
  it('appends while under the limit', () => {
    const summary = appendSummary(appendSummary(EMPTY_SUMMARY, '# A\n', 10), 'é\n', 10);
    expect(summary).toEqual({ text: '# A\né\n', bytes: 7, cut: false });
  });

  it('cuts on a character at the limit, adds the note once, and takes nothing more', () => {
    const cut = appendSummary(appendSummary(EMPTY_SUMMARY, 'abc', 5), 'déf', 5);
    // 'é' is two bytes: only 'd' fits.
    expect(cut).toEqual({ text: `abcd${SUMMARY_CUT_NOTE}`, bytes: 5, cut: true });
    expect(appendSummary(cut, 'more', 5)).toBe(cut);
  });
});
