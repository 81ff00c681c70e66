// Issue 13, targets 1 and 2: what watching costs a script that writes one line per write().
// Each figure next to its floor, measured in this same run (the machine is shared and noisy):
// - API: submit → the full log retrievable over the API, vs the same script piped into a Node
//   reader that discards (the floor every monitor pays);
// - 20 such runs at once, vs 20 scripts piped into discarding readers;
// - `stepflow run` of the loop, vs the floor + `stepflow run -- true` (start-up and exit);
// - short jobs: POST {"command":"echo hi"} → succeeded with its log, p50/p99, vs spawning
//   `/bin/sh -c 'echo hi'` from Node; the 10k-line loop vs its floor.
// Prints one JSON object.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  onePrintfPerLine,
  percentile,
  pipedIntoDiscardingReader,
  startBenchServer,
  submit,
  untilLogComplete,
} from './bench-server.js';

const LINES = Number(process.env.BENCH_PER_WRITE_LINES ?? 200_000);
const PARALLEL = Number(process.env.BENCH_PER_WRITE_PARALLEL ?? 20);
const SHORT_JOBS = Number(process.env.BENCH_SHORT_JOBS ?? 30);
const bin = new URL('../bin/stepflow.js', import.meta.url).pathname;
const round = (ms) => Math.round(ms);
const ratio = (a, b) => Number((a / b).toFixed(2));

const server = await startBenchServer({ MAX_CONCURRENT_TASKS: String(PARALLEL + 2) });
const results = {};
try {
  const script = onePrintfPerLine(LINES);
  // Warm both paths once (page cache, the server's first spawn).
  await pipedIntoDiscardingReader(onePrintfPerLine(1000));
  await untilLogComplete(server.url, await submit(server.url, { command: onePrintfPerLine(1000) }), 1000);

  // One run through the API.
  const floor = await pipedIntoDiscardingReader(script);
  let start = performance.now();
  let id = await submit(server.url, { command: script });
  // Polled every 20 ms: a faster poll would load the server it measures (±20 ms on seconds).
  const api = (await untilLogComplete(server.url, id, LINES, 20)) - start;
  Object.assign(results, { floorMs: round(floor), apiMs: round(api), apiRatio: ratio(api, floor) });

  // Twenty at once.
  start = performance.now();
  await Promise.all(Array.from({ length: PARALLEL }, () => pipedIntoDiscardingReader(script)));
  const floorParallel = performance.now() - start;
  start = performance.now();
  const ids = await Promise.all(
    Array.from({ length: PARALLEL }, () => submit(server.url, { command: script })),
  );
  await Promise.all(ids.map((each) => untilLogComplete(server.url, each, LINES, 50)));
  const apiParallel = performance.now() - start;
  Object.assign(results, {
    floorParallelMs: round(floorParallel),
    apiParallelMs: round(apiParallel),
    parallelRatio: ratio(apiParallel, floorParallel),
  });

  // Through the CLI: the loop, and `run -- true` for start-up and exit.
  const cliDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-bench-cli-run-'));
  const cli = (args) => {
    const t0 = performance.now();
    const result = spawnSync(process.execPath, [bin, 'run', ...args], {
      env: { ...process.env, STEPFLOW_STORAGE_PATH: cliDir },
      stdio: 'ignore',
    });
    if (result.status !== 0) throw new Error(`stepflow run exited ${result.status}`);
    return performance.now() - t0;
  };
  try {
    const startUp = cli(['--', 'true']);
    const cliLoop = cli(['--', 'sh', '-c', script]);
    Object.assign(results, {
      cliStartUpMs: round(startUp),
      cliMs: round(cliLoop),
      cliRatio: ratio(cliLoop, floor + startUp),
    });
  } finally {
    fs.rmSync(cliDir, { recursive: true, force: true });
  }

  // Short jobs.
  const floorEcho = [];
  const echo = [];
  for (let i = 0; i < SHORT_JOBS; i++) {
    floorEcho.push(await pipedIntoDiscardingReader('echo hi'));
    start = performance.now();
    id = await submit(server.url, { command: 'echo hi' });
    echo.push((await untilLogComplete(server.url, id, 1, 1)) - start);
  }
  const tenK = onePrintfPerLine(10_000);
  const floorTenK = await pipedIntoDiscardingReader(tenK);
  start = performance.now();
  id = await submit(server.url, { command: tenK });
  const apiTenK = (await untilLogComplete(server.url, id, 10_000, 5)) - start;
  Object.assign(results, {
    echoFloorP50Ms: Number(percentile(floorEcho, 0.5).toFixed(1)),
    echoP50Ms: Number(percentile(echo, 0.5).toFixed(1)),
    echoP99Ms: Number(percentile(echo, 0.99).toFixed(1)),
    tenKFloorMs: round(floorTenK),
    tenKMs: round(apiTenK),
    tenKOverFloorMs: round(apiTenK - floorTenK),
  });
} finally {
  await server.stop();
}
console.log(JSON.stringify(results));
