import { describe, expect, it } from 'vitest';
import { createMasker } from './masker.js';

describe('createMasker', () => {
  it('returns the text itself and stays inactive while nothing is registered', () => {
    const masker = createMasker();
    const text = 'nothing to hide';
    expect(masker.active).toBe(false);
    expect(masker.apply(text)).toBe(text);
  });

  it('replaces every occurrence of a value with ***', () => {
    const masker = createMasker();
    masker.add('hunter2');
    expect(masker.active).toBe(true);
    expect(masker.apply('pw=hunter2, again hunter2!')).toBe('pw=***, again ***!');
  });

  it('ignores blank values', () => {
    const masker = createMasker();
    masker.add('');
    masker.add('  \t');
    expect(masker.active).toBe(false);
    expect(masker.apply('a b')).toBe('a b');
  });

  it('hides the whole of overlapping and adjacent values', () => {
    const masker = createMasker();
    masker.add('abc');
    masker.add('bcd');
    masker.add('xy');
    expect(masker.apply('0abcd1 abcxy2')).toBe('0***1 ***2');
  });

  it('masks each line of a multi-line value', () => {
    const masker = createMasker();
    masker.add('line-one\r\nline-two');
    expect(masker.apply('got line-two here')).toBe('got *** here');
  });
});
