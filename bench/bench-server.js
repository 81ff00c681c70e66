// A real `stepflow server` on port 0 in a temp data dir, for the scenarios that go through the API.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const bin = new URL('../bin/stepflow.js', import.meta.url).pathname;

/**
 * Starts the server; resolves once it prints where it listens. `stop()` ends it and removes its dir.
 * `nodeArgs` go to its Node (e.g. `['--cpu-prof', '--cpu-prof-dir=/tmp/prof']` to profile it).
 */
export async function startBenchServer(env = {}, nodeArgs = []) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-bench-api-'));
  const server = spawn(process.execPath, [...nodeArgs, bin, 'server', '--port', '0'], {
    env: { ...process.env, STEPFLOW_STORAGE_PATH: dataDir, STEPFLOW_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk) => {
      out += chunk;
      const match = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (match) {
        server.stdout.off('data', onData);
        server.stdout.resume();
        resolve(match[1]);
      }
    };
    server.stdout.on('data', onData);
    server.once('exit', (code) => reject(new Error(`the server exited with ${code} before listening`)));
  });
  return {
    url,
    dataDir,
    async stop() {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** POSTs a run; resolves to its id. */
export async function submit(url, body) {
  const res = await fetch(`${url}/api/executions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST /api/executions: ${res.status} ${await res.text()}`);
  return (await res.json()).id;
}

/**
 * Polls until the run has ended and its whole log (`lines` lines) reads back over the API; resolves
 * to the moment it did (performance.now()). `pollMs`: the poll's period, part of what is measured.
 */
export async function untilLogComplete(url, id, lines, pollMs = 2) {
  for (;;) {
    const res = await fetch(`${url}/api/executions/${id}`);
    const run = await res.json();
    if (['failed', 'cancelled', 'lost', 'interrupted', 'timed_out'].includes(run.status)) {
      throw new Error(`run ${id} ended ${run.status}`);
    }
    if (run.status === 'succeeded' && run.lineCount >= lines) {
      const log = await fetch(`${url}/api/executions/${id}/logs?format=text`);
      const text = await log.text();
      const got = text.length === 0 ? 0 : text.split('\n').filter((line) => line !== '').length;
      if (got >= lines) return performance.now();
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Runs `sh -c script` with its stdout piped into this process, discarding it: the floor. Resolves to ms. */
export function pipedIntoDiscardingReader(script) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', () => undefined);
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(performance.now() - start) : reject(new Error(`floor script exited ${code}`)),
    );
  });
}

/** A dash loop printing `lines` lines of 80 bytes, one `printf` (one write) each. */
export function onePrintfPerLine(lines) {
  return `i=0; while [ $i -lt ${lines} ]; do printf 'line %08d of a script that writes one line per write, padded to 80 bytes...\\n' $i; i=$((i+1)); done`;
}

export function percentile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}
