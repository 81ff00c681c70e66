// (f) The scaled mode (issue 14's targets, docs/SCALING.md), whole processes on this machine:
//   1. 300 executions of 2,000 lines each submitted through the API: on one `stepflow server`
//      with its SQLite file (the floor), then on 1 PostgreSQL + 2 `server --no-runner` replicas +
//      3 workers, submitted to replica A. All must end `succeeded` with every line stored once.
//   2. A worker's print → a WebSocket watcher on the OTHER replica, at 2,000 lines/s.
//   3. A worker SIGKILLed mid-run: seconds until the run reads `lost` (lease from BENCH_LEASE).
// Prints one JSON object. BENCH_SCALED_RUNS / _LINES change the sizes.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import WebSocket from 'ws';
import { startPostgresCluster } from '../scripts/lib/postgres-cluster.js';

const RUNS = Number(process.env.BENCH_SCALED_RUNS ?? 300);
const LINES = Number(process.env.BENCH_SCALED_LINES ?? 2000);
const LEASE = Number(process.env.BENCH_LEASE ?? 10);
const WORKERS = 3;
const SLOTS = 17; // 3 × 17 ≈ the single node's MAX_CONCURRENT_TASKS (50)
const root = new URL('..', import.meta.url).pathname;
const bin = path.join(root, 'bin/stepflow.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-bench-scaled-'));
const children = [];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function start(args, env, { waitFor } = {}) {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, STEPFLOW_LOG_LEVEL: 'warn', STEPFLOW_SERVER: '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      if (out === undefined) return;
      out += d;
      const match = waitFor.exec(out);
      if (match) {
        out = undefined;
        resolve({ child, match });
      }
    });
    child.on('exit', (code) => reject(new Error(`stepflow ${args[0]} exited with ${code}`)));
  });
}
const startServer = async (env, extra = []) =>
  (await start(['server', '--port', '0', ...extra], env, { waitFor: /listening on (http:\/\/[^\s]+)/ }))
    .match[1];
const startWorker = async (url, name, env, extra = []) =>
  (
    await start(['worker', '--server', url, '--name', name, ...extra], env, {
      waitFor: /claiming runs/,
    })
  ).child;

const api = async (url, method, route, body) => {
  const response = await fetch(url + route, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  return response.json();
};

const printLines = `awk 'BEGIN { for (i = 1; i <= ${LINES}; i++) printf "line %05d of the scaled benchmark, padded to about eighty bytes.........\\n", i }'`;

/** Submits RUNS executions (20 requests in flight), waits for all to end; wall seconds. */
async function submitAll(url) {
  const started = performance.now();
  const ids = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      while (next < RUNS) {
        next++;
        ids.push((await api(url, 'POST', '/api/executions', { command: printLines, cwd: tmp })).id);
      }
    }),
  );
  for (;;) {
    const open = await api(url, 'GET', '/api/executions?status=queued,running&limit=1');
    if (open.items.length === 0) break;
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  let ok = 0;
  for (const id of ids) {
    const detail = await api(url, 'GET', `/api/executions/${id}`);
    if (detail.status === 'succeeded' && detail.lineCount === LINES) ok++;
    // Why a run fell short, so a shortfall can be explained rather than only counted.
    else
      console.error(
        `  short: ${id} ${detail.status} lines ${detail.lineCount} worker ${detail.worker?.name ?? '-'}#${detail.worker?.attempt ?? '-'} ${detail.error ?? ''}`,
      );
  }
  return { seconds: Number(seconds.toFixed(2)), complete: ok };
}

/** Lines stored per execution, counted in the database: each seq must be there exactly once. */
async function linesExactlyOnce(databaseUrl) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT count(*)::int AS runs, sum(lines)::bigint AS lines, sum(CASE WHEN lines = ${LINES} AND max_seq = ${LINES} THEN 1 ELSE 0 END)::int AS exact
       FROM (SELECT execution_id, sum(seq_end - seq_start + 1) AS lines, max(seq_end) AS max_seq FROM log_chunks GROUP BY execution_id) per_run`,
    );
    return rows[0];
  } finally {
    await client.end();
  }
}

/** print → a watcher on `watchUrl` of a run submitted to `submitUrl`, 2,000 lines/s for 10 s. */
async function crossReplicaLatency(submitUrl, watchUrl) {
  const script = `python3 -c '
import sys, time
for burst in range(200):
    now = int(time.time() * 1000)
    sys.stdout.write("".join("%d latency line %03d %03d\\n" % (now, burst, i) for i in range(20)))
    sys.stdout.flush()
    time.sleep(0.01)
'`;
  const { id } = await api(submitUrl, 'POST', '/api/executions', { command: `sleep 1; ${script}`, cwd: tmp });
  const latencies = [];
  const ws = new WebSocket(`${watchUrl.replace(/^http/, 'ws')}/ws`, { headers: { origin: watchUrl } });
  await new Promise((resolve, reject) => {
    ws.on('open', resolve);
    ws.on('error', reject);
  });
  ws.send(JSON.stringify({ type: 'subscribe', topic: `execution:${id}`, since: 0 }));
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 60_000);
    ws.on('message', (data) => {
      const now = Date.now();
      const message = JSON.parse(data.toString());
      if (message.type !== 'lines') return;
      for (const line of message.lines) {
        const printed = Number(line.text.slice(0, 13));
        if (printed > 1e12) latencies.push(now - printed);
      }
      if (latencies.length >= 4000) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  ws.terminate();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { lines: latencies.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: latencies.at(-1) };
}

/** SIGKILL of the worker running a run: seconds until the API says `lost`. */
async function lostAfterKill(url, workersByName) {
  const { id } = await api(url, 'POST', '/api/executions', { command: 'echo started; sleep 300', cwd: tmp });
  let worker;
  for (;;) {
    const detail = await api(url, 'GET', `/api/executions/${id}`);
    if (detail.status === 'running' && detail.lineCount > 0) {
      // The worker that claimed it: any of them may have.
      worker = workersByName.get(detail.worker.name);
      break;
    }
    await sleep(50);
  }
  worker.kill('SIGKILL');
  const killed = performance.now();
  for (;;) {
    const detail = await api(url, 'GET', `/api/executions/${id}`);
    if (detail.status === 'lost') break;
    if (performance.now() - killed > (LEASE + 60) * 1000) throw new Error('never lost');
    await sleep(100);
  }
  return Number(((performance.now() - killed) / 1000).toFixed(1));
}

let cluster;
try {
  // 1a. The floor: one server, SQLite.
  const single = await startServer({
    STEPFLOW_STORAGE_PATH: path.join(tmp, 'single'),
    MAX_CONCURRENT_TASKS: '50',
  });
  const singleNode = await submitAll(single);
  for (const child of children.splice(0)) child.kill('SIGTERM');

  // 1b. The scaled mode: 1 PostgreSQL (durable), 2 replicas running nothing, 3 workers.
  cluster = await startPostgresCluster({ durable: true });
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query('CREATE DATABASE stepflow');
  await admin.end();
  const databaseUrl = cluster.url.replace(/\/postgres$/, '/stepflow');
  const serverEnv = (name) => ({
    STEPFLOW_STORAGE_PATH: path.join(tmp, name),
    STEPFLOW_DATABASE_URL: databaseUrl,
    STEPFLOW_WORKER_LEASE_SECONDS: String(LEASE),
  });
  const replicaA = await startServer(serverEnv('a'), ['--no-runner']);
  const replicaB = await startServer(serverEnv('b'), ['--no-runner']);
  const workerEnv = (name) => ({
    STEPFLOW_STORAGE_PATH: path.join(tmp, name),
    STEPFLOW_SPOOL_DIR: path.join(tmp, `${name}-spool`),
  });
  const workers = [];
  for (let i = 0; i < WORKERS; i++) {
    workers.push(
      await startWorker(i % 2 === 0 ? replicaA : replicaB, `w${i + 1}`, workerEnv(`w${i + 1}`), [
        '--slots',
        String(SLOTS),
      ]),
    );
  }
  const scaled = await submitAll(replicaA);
  const stored = await linesExactlyOnce(databaseUrl);

  // 2 and 3.
  const latency = await crossReplicaLatency(replicaA, replicaB);
  const lostSeconds = await lostAfterKill(replicaA, new Map(workers.map((child, i) => [`w${i + 1}`, child])));

  console.log(
    JSON.stringify({
      runs: RUNS,
      linesEach: LINES,
      singleNodeSeconds: singleNode.seconds,
      singleNodeComplete: singleNode.complete,
      scaledSeconds: scaled.seconds,
      scaledComplete: scaled.complete,
      scaledRatio: Number((scaled.seconds / singleNode.seconds).toFixed(2)),
      runsWithEveryLineOnce: stored.exact,
      crossReplicaP50Ms: latency.p50Ms,
      crossReplicaP99Ms: latency.p99Ms,
      crossReplicaLines: latency.lines,
      leaseSeconds: LEASE,
      lostAfterKillSeconds: lostSeconds,
    }),
  );
} finally {
  for (const child of children) child.kill('SIGKILL');
  await sleep(500);
  cluster?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
