// (a) One execution printing 2,000,000 lines of ~80 bytes as fast as it can: lines/s from the first
// byte read to the last row committed. Prints one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
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

// BENCH_INDEXER=1: the server's background search indexer runs during the ingest (a server does).
const withIndexer = process.env.BENCH_INDEXER === '1';
const app = await createStepflow({ ...loadConfig({}, dataDir), dataDir }, { searchIndexer: withIndexer });
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
let indexCatchUpSeconds;
if (withIndexer) {
  // Read from the files: the index's mark reaches the last chunk.
  const main = new Database(path.join(dataDir, 'stepflow.db'), { readonly: true });
  const lastChunk = main.prepare('SELECT max(rowid) FROM log_chunks').pluck().get();
  main.close();
  for (;;) {
    await new Promise((r) => setTimeout(r, 20));
    const file = path.join(dataDir, 'search-index.sqlite');
    if (!fs.existsSync(file)) continue;
    const index = new Database(file, { readonly: true, timeout: 5000 });
    const mark = index.prepare('SELECT chunk FROM mark').pluck().get();
    index.close();
    if (mark === lastChunk) break;
  }
  indexCatchUpSeconds = Math.round((performance.now() - committedAt) / 100) / 10;
}
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
    ...(withIndexer ? { indexCatchUpSeconds } : {}),
  }),
);
