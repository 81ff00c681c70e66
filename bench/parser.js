// (c) Cost per line of marker interpretation (parser + step state machine + masking off), on a mix
// of ordinary output and ~1% marker lines. Prints one JSON object.
import { createLogInterpreter } from '../dist/core/markers/log-interpreter.js';

const N = 2_000_000;
const lines = [];
for (let i = 0; i < 10_000; i++) {
  if (i % 100 === 0) lines.push(`STEP_START:step ${i}`);
  else if (i % 100 === 99) lines.push(`STEP_COMPLETE:step ${i - 99}`);
  else lines.push(`line ${String(i).padStart(8, '0')} ${'x'.repeat(64)}`);
}
const noop = () => {};
const sink = {
  stepStarted: noop,
  stepUpdated: noop,
  stepFinished: noop,
  artifactDeclared: noop,
  annotationAdded: noop,
  executionMeta: noop,
  executionError: noop,
};
function run() {
  const interpreter = createLogInterpreter({ sink });
  const batch = 1000;
  const t0 = process.hrtime.bigint();
  for (let done = 0; done < N; done += batch) {
    const offset = done % lines.length;
    interpreter.pushLines('stdout', lines.slice(offset, offset + batch), Date.now());
    interpreter.takeLines();
  }
  return Number(process.hrtime.bigint() - t0) / N;
}
run(); // warm-up
const samples = [run(), run(), run()].sort((a, b) => a - b);
console.log(
  JSON.stringify({ nsPerLine: Number(samples[1].toFixed(1)), linesPerSecond: Math.round(1e9 / samples[1]) }),
);
