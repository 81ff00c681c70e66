// (d) The server under load: 200 executions at once, each printing 5,000 lines at a steady pace,
// watched by 500 WebSocket clients in a separate process, while GET /api/executions is called at
// 200 requests/s. Prints one JSON object.
import { fork, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const EXECUTIONS = Number(process.env.BENCH_EXECUTIONS ?? 200);
const LINES = Number(process.env.BENCH_LINES_EACH ?? 5000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 500);
const API_RPS = Number(process.env.BENCH_API_RPS ?? 200);
const BURST = Number(process.env.BENCH_BURST ?? 10);
// `reference` aims the API client at bench/reference-api-server.js instead (see there).
const API_TARGET = process.env.BENCH_API_TARGET ?? 'stepflow';
if (API_TARGET !== 'stepflow' && API_TARGET !== 'reference') {
  throw new Error(`BENCH_API_TARGET must be stepflow or reference, got ${API_TARGET}`);
}
const root = new URL('..', import.meta.url).pathname;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-bench-server-'));
const goFile = path.join(dataDir, 'go');

// Each script says it is up, waits until the watchers are connected (the go file), then prints
// BENCH_BURST lines (default 10) every 100 ms — 100 lines/s, a busy build log — each starting with
// its print time.
const script = `
import os, sys, time
print("ready", flush=True)
while not os.path.exists(${JSON.stringify(goFile)}): time.sleep(0.05)
for start in range(0, ${LINES}, ${BURST}):
    now = int(time.time() * 1000)
    sys.stdout.write(''.join('%d steady line %05d of the server benchmark, padded to eighty bytes.....\\n' % (now, i) for i in range(start, start + ${BURST})))
    sys.stdout.flush()
    time.sleep(0.1)
`;

// Node flags for the server alone, e.g. BENCH_SERVER_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/p"
// (passed on the command line: NODE_OPTIONS refuses --cpu-prof).
const serverFlags = (process.env.BENCH_SERVER_NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
const serverArgs = [...serverFlags, path.join(root, 'bin/stepflow.js'), 'server', '--port', '0'];
// BENCH_SERVER_STDOUT=<file> keeps what the server prints, e.g. with --trace-gc.
const serverStdout = process.env.BENCH_SERVER_STDOUT;
const server = spawn(process.execPath, serverArgs, {
  env: {
    ...process.env,
    STEPFLOW_STORAGE_PATH: dataDir,
    MAX_CONCURRENT_TASKS: String(EXECUTIONS),
    STEPFLOW_LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    if (serverStdout !== undefined) fs.appendFileSync(serverStdout, d);
    if (out === undefined) return;
    out += d;
    const match = /listening on (http:\/\/[^\s]+)/.exec(out);
    if (match) {
      out = undefined;
      resolve(match[1]);
    }
  });
  server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
});
const statusField = (pid, field) => {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0; // gone
  }
};
const rssOf = (pid) => statusField(pid, 'VmRSS');
// The server's memory includes its spawn helper, a node child of the server (the scripts are
// python3). Only the helper's private memory counts: its file pages are the node binary, which the
// server's RSS already holds (~35 MB that would otherwise be counted twice).
const privateRssOf = (pid) => statusField(pid, 'RssAnon');
const helperPids = () => {
  const children = fs.readFileSync(`/proc/${server.pid}/task/${server.pid}/children`, 'utf8');
  return children
    .split(' ')
    .filter(Boolean)
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node';
      } catch {
        return false;
      }
    });
};

/** Calls GET <base>/api/executions?limit=50 at API_RPS until stopped; returns the latencies and errors. */
function measureApi(base = url) {
  const latencies = [];
  let errors = 0;
  // What went wrong, by status or error message: a count alone cannot tell shutdown from overload.
  const errorKinds = {};
  const timer = setInterval(() => {
    const t0 = performance.now();
    fetch(`${base}/api/executions?limit=50`)
      .then((res) => (res.ok ? res.arrayBuffer() : Promise.reject(new Error(String(res.status)))))
      .then(
        () => latencies.push(performance.now() - t0),
        (error) => {
          errors++;
          const kind = String(error?.cause?.code ?? error?.message ?? error);
          errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
        },
      );
  }, 1000 / API_RPS);
  return {
    stop() {
      clearInterval(timer);
      latencies.sort((a, b) => a - b);
      const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
      return {
        requests: latencies.length,
        errors,
        errorKinds,
        p50: Number(p(0.5).toFixed(2)),
        p99: Number(p(0.99).toFixed(2)),
      };
    },
  };
}

const ids = [];
for (let i = 0; i < EXECUTIONS; i++) {
  const res = await fetch(`${url}/api/executions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ argv: ['python3', '-c', script], name: `load-${i}`, cwd: dataDir }),
  });
  if (res.status !== 201) throw new Error(`POST /api/executions: ${res.status} ${await res.text()}`);
  ids.push((await res.json()).id);
}

// The measured window is the steady load, not the start: 200 python interpreters booting take
// ~6 s of CPU on two cores, and the server has nothing to do with that. Wait until every script
// has printed its first line (API latency during the start is reported apart, below).
const startApi = measureApi();
for (;;) {
  const res = await fetch(`${url}/api/executions?status=running&limit=500`);
  const { items } = await res.json();
  if (items.length === EXECUTIONS && items.every((execution) => execution.lineCount >= 1)) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const startup = startApi.stop();

let reference;
let referenceBodyBytes;
let apiBase = url;
if (API_TARGET === 'reference') {
  const listingFile = path.join(dataDir, 'listing.json');
  const listing = await fetch(`${url}/api/executions?limit=50`);
  const body = Buffer.from(await listing.arrayBuffer());
  referenceBodyBytes = body.length;
  fs.writeFileSync(listingFile, body);
  reference = spawn(
    process.execPath,
    [new URL('./reference-api-server.js', import.meta.url).pathname, listingFile],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  apiBase = await new Promise((resolve) =>
    reference.stdout.once('data', (d) => resolve(/listening on (\S+)/.exec(String(d))[1])),
  );
}

const watchers = fork(new URL('./ws-watchers.js', import.meta.url).pathname, [
  JSON.stringify({ url, executionIds: ids, clients: CLIENTS, linesPerExecution: LINES, timeoutMs: 180_000 }),
]);
await new Promise((resolve) => watchers.on('message', (m) => m.type === 'ready' && resolve()));

let peakRss = 0;
let peakHelperRss = 0;
let helpers = helperPids();
let samples = 0;
const rssTimer = setInterval(() => {
  if (++samples % 25 === 0) helpers = helperPids();
  const helperRss = helpers.reduce((sum, pid) => sum + privateRssOf(pid), 0);
  peakHelperRss = Math.max(peakHelperRss, helperRss);
  peakRss = Math.max(peakRss, rssOf(server.pid) + helperRss);
}, 200);
const steady = measureApi(apiBase);

fs.writeFileSync(goFile, '');
const t0 = performance.now();
const result = await new Promise((resolve) =>
  watchers.on('message', (m) => m.type === 'result' && resolve(m.result)),
);
const seconds = (performance.now() - t0) / 1000;
const api = steady.stop();
clearInterval(rssTimer);
reference?.kill('SIGTERM');
server.kill('SIGTERM');
await new Promise((resolve) => server.on('exit', resolve));
fs.rmSync(dataDir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    executions: EXECUTIONS,
    clients: CLIENTS,
    deliveriesPerSecond: Math.round(result.benchLineDeliveries / seconds),
    latencyP50Ms: result.latencyP50Ms,
    latencyP99Ms: result.latencyP99Ms,
    printToServerReadMs: [result.printToServerReadP50Ms, result.printToServerReadP99Ms],
    serverReadToClientMs: [result.serverReadToClientP50Ms, result.serverReadToClientP99Ms],
    lost: result.lost,
    duplicates: result.duplicates,
    resyncs: result.resyncs,
    serverPeakRssMB: Math.round(peakRss / 2 ** 20),
    helperPeakPrivateRssMB: Math.round(peakHelperRss / 2 ** 20),
    apiTarget: API_TARGET,
    ...(referenceBodyBytes === undefined ? {} : { referenceBodyBytes }),
    apiRequests: api.requests,
    apiErrors: api.errors,
    ...(api.errors > 0 ? { apiErrorKinds: api.errorKinds } : {}),
    apiP50Ms: api.p50,
    apiP99Ms: api.p99,
    startupApiRequests: startup.requests,
    startupApiP99Ms: startup.p99,
  }),
);
