import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineFlag, type LogLine } from '../core/model.js';
import { createStepOutput } from './step-output.js';

let seq = 0;
const line = (stepId: number | null, text: string, flags = 0): LogLine => ({
  seq: ++seq,
  ts: 0,
  stream: 'stdout',
  stepId,
  text,
  flags,
});

describe('step output kept by the terminal view', () => {
  it('keeps, per step, the last lines and the count of all, however the lines come in batches', () => {
    const lineArb = fc.record({
      stepId: fc.constantFrom(null, 1, 2, 3),
      marker: fc.boolean(),
      text: fc.string({ maxLength: 8 }),
    });
    fc.assert(
      fc.property(
        fc.array(fc.array(lineArb, { maxLength: 40 }), { maxLength: 12 }),
        fc.nat(10),
        (batches, keep) => {
          const output = createStepOutput({ keep });
          const printed = new Map<number | null, string[]>();
          let last: number | null | undefined;
          for (const batch of batches) {
            output.add(batch.map((l) => line(l.stepId, l.text, l.marker ? LineFlag.Marker : 0)));
            for (const l of batch.filter((b) => !b.marker)) {
              printed.set(l.stepId, [...(printed.get(l.stepId) ?? []), l.text]);
              last = l.stepId;
            }
          }
          for (const [stepId, texts] of printed) {
            expect(output.get(stepId)).toEqual({
              count: texts.length,
              lines: texts.slice(Math.max(0, texts.length - keep)),
            });
          }
          expect(output.lastStepId()).toBe(last);
        },
      ),
    );
  });

  it('joins the pieces of a line too long for the splitter, and cuts what it keeps', () => {
    const output = createStepOutput({ keep: 3, maxChars: 10 });
    output.add([line(1, 'abc', LineFlag.Continued)]);
    output.add([line(1, 'def'), line(1, 'x'.repeat(30))]);
    expect(output.get(1)).toEqual({ count: 2, lines: ['abcdef', `${'x'.repeat(10)}…`] });
  });

  it('keeps fewer lines of a step once shrunk', () => {
    const output = createStepOutput({ keep: 200 });
    output.add(Array.from({ length: 300 }, (_, i) => line(1, String(i + 1))));
    output.shrink(1, 5);
    output.add([line(1, '301')]);
    expect(output.get(1)).toEqual({ count: 301, lines: ['297', '298', '299', '300', '301'] });
  });
});
