import { describe, expect, it } from 'vitest';
import { createOutputFileParser } from './output-file-parser.js';

function parse(pieces: string[]) {
  const outputs: [string, string][] = [];
  const errors: string[] = [];
  const parser = createOutputFileParser({
    output: (key, value) => outputs.push([key, value]),
    error: (message) => errors.push(message),
  });
  for (const piece of pieces) parser.push(piece);
  parser.end();
  return { outputs, errors };
}

describe('createOutputFileParser', () => {
  it('reads name=value lines and heredocs, as the GitHub runner does', () => {
    const { outputs, errors } = parse([
      'a=1\n',
      'b=x=y\r\n',
      '\n',
      'notes<<EOF\nline 1\n\nline 3\nEOF\n',
      // The first of `=` and `<<` decides: a heredoc whose delimiter is `=`, then a value with `<<`.
      'c<<=\n=\n',
      'd=x<<y\n',
      'empty=\n',
    ]);
    expect(outputs).toEqual([
      ['a', '1'],
      ['b', 'x=y'],
      ['notes', 'line 1\n\nline 3'],
      ['c', ''],
      ['d', 'x<<y'],
      ['empty', ''],
    ]);
    expect(errors).toEqual([]);
  });

  it('reads lines cut anywhere between pushes, and a last line without a newline', () => {
    const { outputs } = parse(['ver', 'sion=1.', '2\nlog<<E', 'ND\nhi\nE', 'ND\nlast=yes']);
    expect(outputs).toEqual([
      ['version', '1.2'],
      ['log', 'hi'],
      ['last', 'yes'],
    ]);
  });

  it('reports lines the runner refuses, and a heredoc that never ends, and carries on', () => {
    const { outputs, errors } = parse(['=v\n', 'no value\n', 'k<<\n', 'ok=1\n', 'open<<STOP\nx\n']);
    expect(outputs).toEqual([['ok', '1']]);
    expect(errors).toEqual([
      "Invalid format '=v': the name is empty",
      "Invalid format 'no value': expected name=value or name<<DELIMITER",
      "Invalid format 'k<<'",
      "Invalid value: matching delimiter not found 'STOP'",
    ]);
  });
});
