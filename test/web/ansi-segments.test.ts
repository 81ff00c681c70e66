import { describe, expect, it } from 'vitest';
import {
  ansiSegments,
  matchOffsets,
  paletteColor,
  splitAtMatches,
  visibleText,
} from '../../web/src/features/log/ansi-segments.js';

describe('ANSI segments', () => {
  it('turns the 16 colours into classes, 256 and true colours into inline colours, and keeps decorations', () => {
    const segments = ansiSegments(
      '\x1b[31mred\x1b[0m \x1b[1;92mbold\x1b[0m \x1b[38;5;208mpal\x1b[0m \x1b[38;2;10;20;30mtrue\x1b[0m \x1b[3;4;44mdeco\x1b[0m',
    );
    expect(segments.filter((s) => s.text.trim() !== '')).toEqual([
      { text: 'red', className: 'ansi-red-fg' },
      { text: 'bold', className: 'ansi-bright-green-fg ansi-bold' },
      { text: 'pal', className: '', color: paletteColor(208) },
      { text: 'true', className: '', color: 'rgb(10, 20, 30)' },
      { text: 'deco', className: 'ansi-blue-bg ansi-italic ansi-underline' },
    ]);
    expect(paletteColor(208)).toBe('rgb(255, 135, 0)');
    expect(paletteColor(232)).toBe('rgb(8, 8, 8)');
    expect(ansiSegments('\x1b[38;5;1mlow\x1b[0m')[0]?.className).toBe('ansi-red-fg');
  });

  it('keeps markup as plain text', () => {
    const segments = ansiSegments('<img src=x onerror=alert(1)>');
    expect(visibleText(segments)).toBe('<img src=x onerror=alert(1)>');
  });

  it('finds non-overlapping case-insensitive matches and cuts styled segments at them', () => {
    expect(matchOffsets('Error error ERRor', 'error')).toEqual([0, 6, 12]);
    expect(matchOffsets('aaaa', 'aa')).toEqual([0, 2]);
    const segments = ansiSegments('\x1b[31mFoo\x1b[0mbar foo');
    const text = visibleText(segments);
    const pieces = splitAtMatches(segments, matchOffsets(text, 'oob'), 3);
    expect(pieces.map((p) => [p.text, p.className, p.match])).toEqual([
      ['F', 'ansi-red-fg', -1],
      ['oo', 'ansi-red-fg', 0],
      ['b', '', 0],
      ['ar foo', '', -1],
    ]);
  });
});
