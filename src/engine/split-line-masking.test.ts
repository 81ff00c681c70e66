import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../core/model.js';
import { LineFlag } from '../core/model.js';
import type { InterpreterSink } from '../core/markers/log-interpreter.js';
import { createLogInterpreter } from '../core/markers/log-interpreter.js';
import { matchView } from '../core/markers/match-view.js';
import { createLineSplitter } from '../runner/line-splitter.js';

/**
 * A script's output goes through the real line splitter (which cuts lines longer than
 * `maxLineBytes` into pieces wherever the bytes fall) into the real interpreter, written in
 * chunks of any size: no stored line, and no line put back together from its pieces, may hold a
 * secret or its base64 or hex forms.
 */

const noop = (): void => {};
const sink: InterpreterSink = {
  stepStarted: noop,
  stepUpdated: noop,
  stepFinished: noop,
  artifactDeclared: noop,
  annotationAdded: noop,
  executionMeta: noop,
  executionError: noop,
  outputSet: noop,
};

function run(output: Buffer, writes: number[], maxLineBytes: number, secrets: string[]): LogLine[] {
  const interpreter = createLogInterpreter({ sink, secrets });
  const splitter = createLineSplitter({
    maxLineBytes,
    sink: {
      lines: (lines) => interpreter.pushLines('stdout', lines, 0),
      piece: (text, continues) => interpreter.pushPiece('stdout', text, continues, 0),
    },
  });
  let at = 0;
  for (let w = 0; at < output.length; w++) {
    const size = writes[w % writes.length]!;
    splitter.write(output.subarray(at, at + size));
    at += size;
  }
  splitter.end();
  interpreter.finish('succeeded', 0);
  return interpreter.takeLines();
}

/** Stored lines with the pieces of each over-long line joined back together. */
function wholeLines(lines: LogLine[]): string[] {
  const out: string[] = [];
  let open = false;
  for (const line of lines) {
    if (open) out[out.length - 1] += line.text;
    else out.push(line.text);
    open = (line.flags & LineFlag.Continued) !== 0;
  }
  return out;
}

/** What must never be readable: the value, trimmed, and its encodings of at least 3 bytes. */
function forbidden(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const out = [secret.trim()];
  if (bytes.length >= 3) {
    const b64 = bytes.toString('base64');
    out.push(b64, b64.slice(0, Math.floor((bytes.length * 8) / 6)));
    out.push(bytes.toString('hex'), bytes.toString('hex').toUpperCase());
  }
  return out;
}

function expectNoSecret(lines: LogLine[], secret: string): void {
  const leaks: string[] = [];
  for (const line of wholeLines(lines)) {
    for (const text of [line, matchView(line).text]) {
      for (const form of forbidden(secret)) {
        const at = text.indexOf(form);
        // Where, briefly: a joined line may be hundreds of kilobytes long.
        if (at !== -1) leaks.push(JSON.stringify(text.slice(Math.max(0, at - 20), at + form.length + 20)));
      }
    }
  }
  expect(leaks).toEqual([]);
}

// Characters a secret is made of: letters, regex and shell specials, multi-byte UTF-8 (2, 3 and
// 4 bytes), spaces. Not `*` (the mask itself), nor CR, LF and ESC (a secret is one line of text).
const SECRET_CHARS = [...'abcXYZ019', ...'.+?^$(){}[]|\\/-_=%:,;"\'', 'é', 'ß', '漢', '字', '😀', '🔑', ' '];
const secretArb = fc
  .string({ unit: fc.constantFrom(...SECRET_CHARS), minLength: 3, maxLength: 200 })
  .filter((s) => s.trim() !== '');
const fillerArb = fc.string({
  unit: fc.constantFrom('a', 'b', 'Z', ' ', '-', '*', 'é', '漢', '😀', '\x1b[1m', '\x1b[0m', '\r', '%0A'),
  maxLength: 300,
});

/** How the secret shows up in a line. */
const appearance = (secret: string, kind: number, cut: number): string => {
  const bytes = Buffer.from(secret);
  switch (kind) {
    case 0:
      return secret;
    case 1: {
      // A colour change inside it, at a UTF-16 boundary that does not split a surrogate pair.
      const at = Math.min(cut, secret.length);
      const safe = /[\udc00-\udfff]/.test(secret[at] ?? '') ? at - 1 : at;
      return `${secret.slice(0, safe)}\x1b[31m${secret.slice(safe)}`;
    }
    case 2:
      return bytes.toString('base64');
    case 3:
      return Buffer.from(`${secret}\n`).toString('base64');
    case 4:
      return bytes.toString('hex');
    default:
      return bytes.toString('hex').toUpperCase();
  }
};

describe('masking across the line splitter', () => {
  it('no stored line or joined line holds a secret, whatever the split points and write sizes', () => {
    fc.assert(
      fc.property(
        secretArb,
        fc.array(fc.tuple(fillerArb, fc.integer({ min: 0, max: 5 }), fc.nat(200), fillerArb), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 4, max: 600 }),
        fc.boolean(),
        (secret, segments, writes, maxLineBytes, declared) => {
          const body = segments.map(
            ([before, kind, cut, after]) => before + appearance(secret, kind, cut) + after,
          );
          // Half the runs declare the secret with ::add-mask:: (a line short enough to be parsed
          // as a marker), the others give it to the run as secretEnv would.
          const escaped = secret.replaceAll('%', '%25');
          const lines = declared ? [`::add-mask::${escaped}`, ...body] : body;
          const limit = declared ? Math.max(maxLineBytes, Buffer.byteLength(lines[0]!)) : maxLineBytes;
          const output = Buffer.from(lines.join('\n') + '\n');
          expectNoSecret(run(output, writes, limit, declared ? [] : [secret]), secret);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('masks a secret at every offset around the real 64 KiB cut, written in odd sizes', () => {
    const secret = 'tok_9f8e7d6c5b4a3210';
    const prefix = 'x'.repeat(65_536 - secret.length - 2);
    for (let shift = 0; shift <= secret.length + 3; shift++) {
      const line = `${prefix}${'y'.repeat(shift)}${secret}${'z'.repeat(70_000)}`;
      const lines = run(Buffer.from(`start\n${line}\nend\n`), [4093, 65_521, 7], 65_536, [secret]);
      expect(lines.length).toBeGreaterThan(3);
      expectNoSecret(lines, secret);
      const whole = wholeLines(lines);
      expect(whole).toEqual(['start', `${prefix}${'y'.repeat(shift)}***${'z'.repeat(70_000)}`, 'end']);
    }
  });
});
