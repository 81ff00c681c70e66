import { describe, expect, it } from 'vitest';
import { stripAnsi } from './ansi.js';

describe('stripAnsi', () => {
  it.each([
    ['SGR colours', '\x1b[1;32mok\x1b[0m done', 'ok done'],
    [
      'erase in line (GitLab wrapper)',
      '\x1b[0Ksection_start:1:a\r\x1b[0KHeader',
      'section_start:1:a\rHeader',
    ],
    ['cursor position with parameters', 'a\x1b[12;40Hb', 'ab'],
    ['private CSI (hide cursor)', '\x1b[?25lbusy\x1b[?25h', 'busy'],
    ['OSC terminated by BEL (window title)', '\x1b]0;my title\x07text', 'text'],
    ['OSC terminated by ST (hyperlink)', '\x1b]8;;https://x.dev\x1b\\link\x1b]8;;\x1b\\!', 'link!'],
    ['unterminated OSC runs to the end', 'keep\x1b]0;never ends', 'keep'],
    ['charset designation ESC ( B', '\x1b(Bplain', 'plain'],
    ['two-character ESC 7 / ESC 8', '\x1b7saved\x1b8', 'saved'],
    ['lone ESC at the end', 'text\x1b', 'text'],
    ['CSI cut off at the end', 'text\x1b[1;3', 'text'],
    ['CSI with an invalid byte keeps the visible text', '\x1b[1\u00e9x', '\u00e9x'],
  ])('removes %s', (_name, input, expected) => {
    expect(stripAnsi(input)).toBe(expected);
  });

  it('returns the very same string when there is no ESC', () => {
    const text = 'plain text with [brackets] and ] and \\';
    expect(stripAnsi(text)).toBe(text);
  });
});
