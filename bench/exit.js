// Issue 13, target 4: `stepflow run` of 2,000,000 lines (`yes <80 bytes> | head -n 2000000`) timed
// from the shell, start-up and exit included, next to the bare pipe into `cat >/dev/null`; then a
// later reader (`stepflow show --json`) must see every line. Prints one JSON object.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LINES = Number(process.env.BENCH_EXIT_LINES ?? 2_000_000);
const bin = new URL('../bin/stepflow.js', import.meta.url).pathname;
const line = 'y'.repeat(79); // 80 bytes with its newline
const pipe = `yes ${line} | head -n ${LINES}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-bench-exit-'));
const env = { ...process.env, STEPFLOW_STORAGE_PATH: dataDir };
const sizeOf = (file) => {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
};

try {
  let t0 = performance.now();
  spawnSync('/bin/sh', ['-c', `${pipe} | cat >/dev/null`], { stdio: 'ignore' });
  const floorMs = performance.now() - t0;

  t0 = performance.now();
  const run = spawnSync(process.execPath, [bin, 'run', '--', 'sh', '-c', pipe], { env, stdio: 'ignore' });
  const runMs = performance.now() - t0;
  if (run.status !== 0) throw new Error(`stepflow run exited ${run.status}`);
  const walBytes = sizeOf(path.join(dataDir, 'stepflow.db-wal'));
  const ls = JSON.parse(execFileSync(process.execPath, [bin, 'ls', '--json'], { env, encoding: 'utf8' }));
  const stored = ls.items[0].lineCount;
  if (stored !== LINES) throw new Error(`a later reader sees ${stored} of ${LINES} lines`);
  console.log(
    JSON.stringify({
      floorMs: Math.round(floorMs),
      runMs: Math.round(runMs),
      linesPerSecond: Math.round(LINES / (runMs / 1000)),
      walBytesAfterExit: walBytes,
      linesSeenAfter: stored,
    }),
  );
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
