// `npm run bench`: runs each scenario in its own Node process (so RSS is that scenario's alone),
// several times, and prints medians with the machine. Not part of the tests.
import { execFileSync } from 'node:child_process';
import { describeMachine, median } from './machine.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const only = process.argv.slice(2);

function scenario(file, runs, env = {}) {
  const results = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['--expose-gc', new URL(file, import.meta.url).pathname], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      maxBuffer: 1 << 20,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const result = JSON.parse(out.trim().split('\n').at(-1));
    console.log(`  run ${i + 1}: ${JSON.stringify(result)}`);
    results.push(result);
  }
  return results;
}

console.log(`StepFlow benchmark — ${describeMachine()}`);
const want = (name) => only.length === 0 || only.includes(name);

if (want('throughput')) {
  const indexer = process.env.BENCH_INDEXER === '1';
  console.log(
    `(a) one execution, 2,000,000 lines of 80 bytes, first byte → all rows committed${indexer ? ', with the server’s search indexer running' : ''}`,
  );
  const r = scenario('./throughput.js', RUNS);
  if (indexer)
    console.log(
      `  median: index caught up ${median(r.map((x) => x.indexCatchUpSeconds))} s after the last commit`,
    );
  console.log(
    `  median: ${median(r.map((x) => x.linesPerSecond)).toLocaleString('en')} lines/s (target ≥ 1,000,000)`,
  );
}
if (want('concurrent')) {
  console.log('(b) 500 executions at once, 2,000 lines each at a steady pace');
  const r = scenario('./concurrent.js', Math.min(RUNS, 3));
  console.log(
    `  median: peak RSS ${median(r.map((x) => x.peakRssMB))} MB (target ≤ 200), CPU ${median(r.map((x) => x.cpuPercentOfOneCore))}% of one core, lines stored ${median(r.map((x) => x.linesStored))}/${r[0].linesExpected}`,
  );
}
if (want('server')) {
  console.log(
    '(d) server: 200 executions × 5,000 lines at a steady pace, 500 WebSocket watchers, GET /api/executions at 200/s',
  );
  const r = scenario('./server-load.js', Math.min(RUNS, 3));
  console.log(
    `  median: print→client p50 ${median(r.map((x) => x.latencyP50Ms))} ms, p99 ${median(r.map((x) => x.latencyP99Ms))} ms (target ≤ 50), ` +
      `server RSS (with its spawn helper) ${median(r.map((x) => x.serverPeakRssMB))} MB (≤ 250), API p99 ${median(r.map((x) => x.apiP99Ms))} ms (≤ 5), ` +
      `lost ${Math.max(...r.map((x) => x.lost))} (0), ${median(r.map((x) => x.deliveriesPerSecond)).toLocaleString('en')} deliveries/s`,
  );
}
if (want('cli')) {
  console.log('(e) CLI start-up: whole commands, wall, medians of interleaved rounds; floor `node -e 1`');
  const r = scenario('./cli-startup.js', RUNS);
  const m = (key) => median(r.map((x) => x[key]));
  console.log(
    `  median: floor ${m('floorMs')} ms; --version ${m('versionMs')} ms = ${m('versionRatio')} × floor (target ≤ 2); ` +
      `ls ${m('lsMs')} ms = ${m('lsRatio')} ×, show ${m('showMs')} ms = ${m('showRatio')} × (≤ 250 ms); ` +
      `run -- true ${m('runTrueMs')} ms = ${m('runTrueRatio')} × (≤ 300 ms)`,
  );
}
if (only.includes('scaled')) {
  console.log(
    '(f) scaled mode: 300 runs × 2,000 lines on one SQLite server, then on PostgreSQL + 2 replicas + 3 workers; print → watcher on the other replica; SIGKILLed worker → lost',
  );
  const r = scenario('./scaled.js', RUNS);
  const m = (key) => median(r.map((x) => x[key]));
  console.log(
    `  median: single node ${m('singleNodeSeconds')} s, scaled ${m('scaledSeconds')} s = ${m('scaledRatio')} × (target ≤ 1.3); ` +
      `runs with every line once ${m('runsWithEveryLineOnce')}/${r[0].runs}; print → other replica p50 ${m('crossReplicaP50Ms')} ms, p99 ${m('crossReplicaP99Ms')} ms (≤ 250); ` +
      `lost ${m('lostAfterKillSeconds')} s after SIGKILL (lease ${r[0].leaseSeconds} s; ≤ lease + 5)`,
  );
}
if (want('per-write')) {
  console.log(
    '(h) one printf per line (80 bytes, dash loop): submit → full log over the API, vs the script piped into a Node reader that discards (floor, same run)',
  );
  const r = scenario('./per-write.js', RUNS);
  const m = (key) => median(r.map((x) => x[key]));
  console.log(
    `  median: 200k lines ${m('apiMs')} ms vs floor ${m('floorMs')} ms = ${m('apiRatio')} × (target ≤ 1.15); ` +
      `20 at once ${m('apiParallelMs')} ms vs ${m('floorParallelMs')} ms = ${m('parallelRatio')} × (≤ 1.15); ` +
      `stepflow run ${m('cliMs')} ms vs floor + run -- true (${m('cliStartUpMs')} ms) = ${m('cliRatio')} × (≤ 1.15)`,
  );
  console.log(
    `  short jobs: echo hi → succeeded with its log p50 ${m('echoP50Ms')} ms (≤ 50), p99 ${m('echoP99Ms')} ms (≤ 100), floor (spawn sh from Node) ${m('echoFloorP50Ms')} ms; ` +
      `10k-line loop ${m('tenKMs')} ms vs floor ${m('tenKFloorMs')} ms = floor + ${m('tenKOverFloorMs')} ms (≤ 60)`,
  );
}
if (want('exit')) {
  console.log(
    '(i) stepflow run of `yes <80 bytes> | head -n 2000000` from the shell, start-up and exit included',
  );
  const r = scenario('./exit.js', RUNS);
  const m = (key) => median(r.map((x) => x[key]));
  console.log(
    `  median: ${m('runMs')} ms = ${m('linesPerSecond').toLocaleString('en')} lines/s (target ≥ 1,000,000); bare pipe ${m('floorMs')} ms; ` +
      `WAL left ${m('walBytesAfterExit').toLocaleString('en')} bytes; a later reader saw ${m('linesSeenAfter').toLocaleString('en')} lines`,
  );
}
if (want('storage')) {
  console.log(
    '(j) bytes on disk per million lines of realistic text (compiler, tests, service logs, downloads)',
  );
  const r = scenario('./storage.js', Math.min(RUNS, 1));
  console.log(
    `  ${r[0].storedBytesPerMillionLines.toLocaleString('en')} bytes stored right after \`stepflow run\` vs ${r[0].rawBytesPerMillionLines.toLocaleString('en')} raw = ${r[0].storedToRaw} ×; ` +
      `once the run has ended and a server was idle ${(r[0].packedAfterMs / 1000).toFixed(1)} s (packing it): ` +
      `${r[0].packedBytesPerMillionLines.toLocaleString('en')} bytes = ${r[0].packedToRaw} × (target ≤ 1)`,
  );
}
// Not in the default set (it is the machine's figure, not StepFlow's): `npm run bench server-reference`.
if (only.includes('server-reference')) {
  console.log(
    '(d′) the same load, GET aimed at a no-op server in its own idle process answering the same bytes (the floor)',
  );
  const r = scenario('./server-load.js', Math.min(RUNS, 3), { BENCH_API_TARGET: 'reference' });
  console.log(
    `  median: reference API p50 ${median(r.map((x) => x.apiP50Ms))} ms, p99 ${median(r.map((x) => x.apiP99Ms))} ms ` +
      `(StepFlow's own API p99 under this load cannot be below this)`,
  );
}
// Not in the default set (it builds a 10M-line data dir, minutes): `npm run bench search`.
if (only.includes('search')) {
  console.log(
    '(e) search across runs: 10,000,000 stored lines in 2,000 runs, a page of 20 runs (rare, common, no match)',
  );
  const r = scenario('./search.js', Math.min(RUNS, 1));
  for (const name of ['rare', 'common', 'none']) {
    console.log(
      `  ${name} "${r[0][name].text}": median ${median(r.map((x) => x[name].ms))} ms (target < 300), ` +
        `floor (index lookup alone) ${median(r.map((x) => x[name].floorMs))} ms, ${r[0][name].candidateChunks} candidate chunks, ` +
        `${r[0][name].runs} runs returned of ${r[0][name].scannedRuns} read; with no index ${median(r.map((x) => x[name].noIndexMs))} ms`,
    );
  }
  console.log(
    `  written ${r[0].linesPerSecondWritten.toLocaleString('en')} lines/s; database ${r[0].dbMB} MB, index file ${r[0].indexMB} MB; ` +
      `the background indexer caught up in ${r[0].indexSeconds} s`,
  );
}
// Not in the default set (it builds 10,000 runs per run, minutes): `npm run bench retention`.
if (only.includes('retention')) {
  console.log(
    '(g) retention sweep of 10,000 ended runs × 100 lines (half deleted, half logs dropped) while one execution ingests 8,000,000 lines; reference: the same without the sweep',
  );
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    // Interleaved, so both see the same share of whatever else the machine is doing.
    runs.push(...scenario('./retention.js', 1, { BENCH_RETENTION_SWEEP: '0' }));
    runs.push(...scenario('./retention.js', 1));
  }
  const reference = runs.filter((x) => !x.sweeping);
  const swept = runs.filter((x) => x.sweeping);
  const rate = median(reference.map((x) => x.steadyLinesPerSecond));
  const during = median(swept.map((x) => x.linesPerSecondDuringSweep));
  console.log(
    `  median: ingest ${during.toLocaleString('en')} lines/s during the sweep vs ${rate.toLocaleString('en')} without = ${(during / rate).toFixed(2)} ×; ` +
      `sweep ${median(swept.map((x) => x.sweepSeconds))} s (reclaim ${median(swept.map((x) => x.reclaimSeconds))} s); ` +
      `freed ${median(swept.map((x) => x.freedBytes)).toLocaleString('en')} bytes of ${swept[0].expectedBytes.toLocaleString('en')} expected, ` +
      `${swept[0].runsDeleted} runs deleted, logs of ${swept[0].logsDropped} dropped`,
  );
}
if (want('parser')) {
  console.log('(c) marker interpretation cost per line');
  const r = scenario('./parser.js', RUNS);
  console.log(`  median: ${median(r.map((x) => x.nsPerLine))} ns/line`);
}
