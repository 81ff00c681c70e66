// Issue 13, target 6: bytes on disk per million log lines of realistic text — a deterministic mix
// of compiler, test-runner, service-log and download lines, not one repeated line — next to the
// raw text's size. Stored by `stepflow run -- cat <file>`; the database files are measured after
// the CLI has exited. Prints one JSON object.
import { execFileSync, spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LINES = Number(process.env.BENCH_STORAGE_LINES ?? 1_000_000);
const bin = new URL('../bin/stepflow.js', import.meta.url).pathname;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-bench-storage-'));
const dataDir = path.join(dir, 'data');

/** mulberry32: the same text on every run and machine. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const next = random(13);
const int = (n) => Math.floor(next() * n);
const pick = (list) => list[int(list.length)];
const words = [
  'parser',
  'config',
  'retry',
  'scheduler',
  'upload',
  'cache',
  'tokenizer',
  'index',
  'session',
  'backup',
];
const vars = ['buf', 'len', 'ctx', 'tmp', 'result', 'offset', 'node', 'entry'];
const packages = ['numpy', 'pandas', 'torch', 'requests', 'pyyaml', 'urllib3', 'certifi', 'idna'];
const kinds = [
  () =>
    `src/${pick(words)}/${pick(words)}_${int(40)}.c:${1 + int(2000)}:${1 + int(80)}: warning: unused variable '${pick(vars)}' [-Wunused-variable]`,
  () => `  CC      src/${pick(words)}/${pick(words)}_${int(40)}.o`,
  () =>
    `  ✓ test/unit/${pick(words)}.test.ts > ${pick(words)} > handles ${pick(words)} after ${pick(words)} ${int(300)}ms`,
  () =>
    `  ✗ test/integration/${pick(words)}.test.ts > ${pick(words)} > times out when ${pick(words)} is slow`,
  () =>
    `2026-12-04T16:${String(int(60)).padStart(2, '0')}:${String(int(60)).padStart(2, '0')}.${String(int(1000)).padStart(3, '0')}Z INFO worker-${int(8)} processed batch ${int(100000)} in ${int(900)}ms (rows=${int(50000)})`,
  () =>
    `Downloading ${pick(packages)}-${int(3)}.${int(30)}.${int(10)}-cp311-cp311-manylinux_2_17_x86_64.whl (${int(90000)} kB)`,
  () => `    at ${pick(words)}.${pick(vars)} (/app/src/${pick(words)}.js:${int(900)}:${int(60)})`,
  () =>
    `epoch ${int(100)} step ${int(10000)} loss=${next().toFixed(4)} acc=${next().toFixed(4)} lr=${(next() / 1000).toExponential(2)}`,
];

try {
  const source = path.join(dir, 'output.txt');
  const out = fs.openSync(source, 'w');
  let buffer = [];
  for (let i = 0; i < LINES; i++) {
    buffer.push(pick(kinds)());
    if (buffer.length === 10_000) {
      fs.writeSync(out, `${buffer.join('\n')}\n`);
      buffer = [];
    }
  }
  if (buffer.length > 0) fs.writeSync(out, `${buffer.join('\n')}\n`);
  fs.closeSync(out);
  const rawBytes = fs.statSync(source).size;

  execFileSync(process.execPath, [bin, 'run', '--', 'cat', source], {
    env: { ...process.env, STEPFLOW_STORAGE_PATH: dataDir },
    stdio: 'ignore',
  });
  // Everything the database keeps in the data dir (WAL and search index included, if any).
  const stored = fs
    .readdirSync(dataDir)
    .filter((name) => name.startsWith('stepflow.db'))
    .reduce((sum, name) => sum + fs.statSync(path.join(dataDir, name)).size, 0);
  const perMillion = (bytes) => Math.round((bytes / LINES) * 1_000_000);

  // Then a server on the same data dir, idle: it packs ended runs' text (log-packer.ts). Timed
  // from its start until no ended run is left unpacked; measured after it stopped.
  const started = performance.now();
  const server = spawn(process.execPath, [bin, 'server', '--port', '0'], {
    env: { ...process.env, STEPFLOW_STORAGE_PATH: dataDir, STEPFLOW_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const unpacked = () => {
    const db = new Database(path.join(dataDir, 'stepflow.db'), { readonly: true });
    try {
      return db
        .prepare(
          `SELECT count(*) FROM executions WHERE logs_packed = 0 AND status NOT IN ('queued', 'running')`,
        )
        .pluck()
        .get();
    } finally {
      db.close();
    }
  };
  while (unpacked() > 0) {
    if (performance.now() - started > 300_000)
      throw new Error('the server did not pack the run in 5 minutes');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const packedAfterMs = performance.now() - started;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  await exited;
  const packed = fs
    .readdirSync(dataDir)
    .filter((name) => name.startsWith('stepflow.db'))
    .reduce((sum, name) => sum + fs.statSync(path.join(dataDir, name)).size, 0);
  console.log(
    JSON.stringify({
      lines: LINES,
      rawBytesPerMillionLines: perMillion(rawBytes),
      storedBytesPerMillionLines: perMillion(stored),
      storedToRaw: Number((stored / rawBytes).toFixed(3)),
      packedBytesPerMillionLines: perMillion(packed),
      packedToRaw: Number((packed / rawBytes).toFixed(3)),
      packedAfterMs: Math.round(packedAfterMs),
    }),
  );
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
