import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { createProcessMonitor } from './process-monitor.js';
import { runProcess } from './run-process.js';

const monitor = createProcessMonitor({ intervalMs: 100 });
afterAll(() => monitor.close());

const LINES = 2000;
const RUNS = 68;
// 160 KB: fits in the socket's buffer, so the script exits before a byte of it is read.
const PRINT_LINES = `awk 'BEGIN { for (i = 1; i <= ${LINES}; i++) printf "line %05d of the output, padded to about eighty bytes of text................\\n", i }'`;
/** Synchronous work of the kind a worker does between runs (its store, its bookkeeping). */
const busy = (ms: number): void => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};

it('keeps every line of runs that ended before their pipes were first polled, as in a busy worker', async () => {
  // A worker's slots each long-poll for a run; the replies come back together, so one turn of the
  // loop starts several runs, each with some synchronous work, and reaps the ones that already
  // exited before their pipes were ever watched. Their whole output then waits in the socket.
  const waiting: (() => void)[] = [];
  const claims = createServer((_request, response) => {
    waiting.push(() => response.end('run'));
    if (waiting.length >= 6) for (const reply of waiting.splice(0)) reply();
  });
  const flush = setInterval(() => {
    for (const reply of waiting.splice(0)) reply();
  }, 200);
  await new Promise<void>((resolve) => claims.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(claims.address() as AddressInfo).port}/`;

  const counts: number[] = [];
  let started = 0;
  const slot = async (): Promise<void> => {
    for (;;) {
      await (await fetch(url)).text();
      if (started === RUNS) return;
      started++;
      let lines = 0;
      const running = runProcess({
        tag: `busy-${randomUUID()}`,
        command: PRINT_LINES,
        cwd: '/tmp',
        monitor,
        onOutput: (_stream, batch) => (lines += batch.length),
        onPiece: () => {},
      });
      busy(40);
      const result = await running.done;
      busy(30);
      counts.push(result.exitCode === 0 ? lines : -1);
    }
  };
  try {
    await Promise.all(Array.from({ length: 17 }, slot));
  } finally {
    clearInterval(flush);
    claims.close();
  }
  expect(counts).toHaveLength(RUNS);
  expect(counts.filter((count) => count !== LINES)).toEqual([]);
}, 120_000);
