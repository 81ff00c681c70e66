import { describe, expect, it } from 'vitest';
import { createLineSplitter, type LineSplitterSink } from './line-splitter.js';

type Event = { lines: string[] } | { piece: string; continues: boolean };

function split(chunks: (string | Buffer)[], maxLineBytes?: number): Event[] {
  const events: Event[] = [];
  const sink: LineSplitterSink = {
    lines: (lines) => events.push({ lines }),
    piece: (piece, continues) => events.push({ piece, continues }),
  };
  const splitter = createLineSplitter({
    sink,
    ...(maxLineBytes === undefined ? {} : { maxLineBytes }),
  });
  for (const chunk of chunks) splitter.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  splitter.end();
  return events;
}

/** Every line and piece in order, pieces marked with a trailing `+` when they continue. */
function flat(events: Event[]): string[] {
  return events.flatMap((e) => ('lines' in e ? e.lines : [e.piece + (e.continues ? '+' : '')]));
}

describe('createLineSplitter', () => {
  it('emits all complete lines of a chunk in one call', () => {
    expect(split(['a\nb\nc\n'])).toEqual([{ lines: ['a', 'b', 'c'] }]);
  });

  it('joins a line split across writes, including an empty line', () => {
    expect(flat(split(['STEP_ST', 'ART:x\n\nnext', ' part\n']))).toEqual(['STEP_START:x', '', 'next part']);
  });

  it('keeps the carriage return of CRLF line endings', () => {
    expect(flat(split(['one\r\ntwo\r', '\n']))).toEqual(['one\r', 'two\r']);
  });

  it('flushes a final line without newline at end, once', () => {
    const events: string[][] = [];
    const splitter = createLineSplitter({ sink: { lines: (l) => events.push(l), piece: () => {} } });
    splitter.write(Buffer.from('first\nlast'));
    splitter.end();
    splitter.end();
    expect(events).toEqual([['first'], ['last']]);
  });

  it('emits nothing at end after a trailing newline', () => {
    expect(split(['only\n'])).toEqual([{ lines: ['only'] }]);
  });

  it('replaces invalid UTF-8 with U+FFFD', () => {
    expect(flat(split([Buffer.from([0x62, 0xff, 0x0a, 0xfe])]))).toEqual(['b\uFFFD', '\uFFFD']);
  });

  it('decodes a multi-byte character split across writes', () => {
    const bytes = Buffer.from('café\n');
    expect(flat(split([bytes.subarray(0, 4), bytes.subarray(4)]))).toEqual(['café']);
  });

  it('emits a line of exactly maxLineBytes whole', () => {
    expect(flat(split(['abcd\n'], 4))).toEqual(['abcd']);
  });

  it('cuts a long line arriving in pieces and ends it with a non-continuing piece', () => {
    expect(flat(split(['abc', 'def', 'ghij', 'k\nnext\n'], 4))).toEqual(['abcd+', 'efgh+', 'ijk', 'next']);
  });

  it('cuts a long complete line inside one chunk between short lines', () => {
    expect(split(['a\nabcdefghij\nb\n'], 4)).toEqual([
      { lines: ['a'] },
      { piece: 'abcd', continues: true },
      { piece: 'efgh', continues: true },
      { piece: 'ij', continues: false },
      { lines: ['b'] },
    ]);
  });

  it('ends an unterminated long line with a non-continuing piece', () => {
    expect(flat(split(['abcdefg'], 4))).toEqual(['abcd+', 'efg']);
  });

  it('never cuts inside a UTF-8 character', () => {
    // 'é' is 2 bytes and '😀' is 4: a 5-byte limit must move the cut back to a character start.
    expect(flat(split(['aé😀é😀\n'], 5))).toEqual(['aé+', '😀+', 'é+', '😀']);
  });

  it('cuts bytes that are not UTF-8 at the limit', () => {
    const pieces = flat(split([Buffer.alloc(10, 0x80), Buffer.from('\n')], 4));
    expect(pieces).toEqual(['\uFFFD'.repeat(4) + '+', '\uFFFD'.repeat(4) + '+', '\uFFFD'.repeat(2)]);
  });

  it('never holds more than maxLineBytes of an unterminated line', () => {
    let total = 0;
    let maxHeld = 0;
    let pieces = 0;
    const splitter = createLineSplitter({
      sink: {
        lines: () => {},
        piece: (text) => {
          total += text.length;
          pieces++;
        },
      },
      maxLineBytes: 1000,
    });
    const chunk = Buffer.alloc(777, 'y');
    for (let i = 0; i < 1000; i++) {
      splitter.write(chunk);
      maxHeld = Math.max(maxHeld, splitter.bufferedBytes);
    }
    splitter.write(Buffer.from('\n'));
    expect(maxHeld).toBeLessThanOrEqual(1000);
    expect(total).toBe(777_000);
    expect(pieces).toBe(777);
    expect(splitter.bufferedBytes).toBe(0);
  });

  it('handles one byte per write', () => {
    const text = 'ab\r\ncé\n\nend';
    expect(flat(split([...Buffer.from(text)].map((b) => Buffer.from([b]))))).toEqual([
      'ab\r',
      'cé',
      '',
      'end',
    ]);
  });

  it('rejects a maxLineBytes too small for one UTF-8 character', () => {
    expect(() => createLineSplitter({ sink: { lines: () => {}, piece: () => {} }, maxLineBytes: 3 })).toThrow(
      /maxLineBytes/,
    );
  });
});
