// (a) One execution printing 2,000,000 lines of ~80 bytes as fast as it can: lines/s from the first
// byte read to the last row committed. Prints one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStepflow } from '../dist/stepflow.js';
import { loadConfig } from '../dist/config.js';

const LINES = Number(process.env.BENCH_LINES ?? 2_000_000);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-bench-'));
// 10,000 lines per write; each line is 80 bytes with its newline.
// The script writes the same 10,000-line block 200 times, so the producer costs almost nothing
// and the figure measures StepFlow, not Python's string formatting.
const generator = `
import sys
out = sys.stdout.buffer
block = b''.join(b'line %08d ' % i + b'x' * 64 + b'\\n' for i in range(10000))
for _ in range(${LINES} // 10000):
    out.write(block)
`;

const app = await createStepflow({ ...loadConfig({}, dataDir), dataDir });
let firstByteAt = 0;
app.bus.subscribe((event) => {
  if (event.type === 'log.lines' && firstByteAt === 0) firstByteAt = performance.now();
});
const { done } = await app.engine.submit({
  argv: ['python3', '-c', generator],
  cwd: dataDir,
  name: 'throughput',
});
const final = await done;
await app.writer.flush();
const committedAt = performance.now();
const stored = (await app.store.getExecution(final.id))?.lineCount ?? 0;
const last = await app.store.readLog(final.id, { after: LINES - 1, limit: 10 });
await app.close();
fs.rmSync(dataDir, { recursive: true, force: true });
const seconds = (committedAt - firstByteAt) / 1000;
console.log(
  JSON.stringify({
    status: final.status,
    lines: stored,
    lastSeq: last.lines.at(-1)?.seq ?? 0,
    seconds,
    linesPerSecond: Math.round(LINES / seconds),
  }),
);
