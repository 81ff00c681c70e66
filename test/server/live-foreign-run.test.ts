import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionChange, LiveServerMessage } from '../../src/protocol/live-messages.js';
import { startCli, type CliResult } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';
import { LiveTestClient, range, waitUntil } from './live-test-kit.js';

// Two real processes on one data dir: the server (in this process, port 0) and `stepflow run`
// (the built CLI). The run's events never reach the server's bus; the live hub must follow it
// through the store.

const startServer = useTestServers();
const tempDir = useTempDirs();
const clients: LiveTestClient[] = [];
const clis: { kill(): void }[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.ws.terminate();
  for (const cli of clis.splice(0)) cli.kill();
});

async function connect(server: TestServer): Promise<LiveTestClient> {
  const client = await LiveTestClient.connect(`ws://127.0.0.1:${server.port}/ws`);
  clients.push(client);
  return client;
}

/**
 * A Python script that waits for `start.gate`, then prints `n <i> <epoch ms>` for i in 1..count,
 * one every `everyMs`, inside one step, and exits with `exitCode`.
 */
function numbersScript(count: number, everyMs: number, exitCode = 0): string {
  return `import os, sys, time
while not os.path.exists("start.gate"):
    time.sleep(0.02)
print("STEP_START:count", flush=True)
for i in range(1, ${count} + 1):
    print(f"n {i} {time.time() * 1000:.1f}", flush=True)
    time.sleep(${everyMs / 1000})
print("STEP_COMPLETE:count", flush=True)
sys.exit(${exitCode})
`;
}

/** Starts `stepflow run` on the server's data dir; resolves with the CLI's end. */
function runElsewhere(server: TestServer, dir: string, name: string, script: string): Promise<CliResult> {
  fs.writeFileSync(path.join(dir, 'numbers.py'), script);
  const cli = startCli(['run', '--name', name, '--', 'python3', 'numbers.py'], {
    dataDir: server.dataDir,
    cwd: dir,
  });
  clis.push({ kill: () => cli.child.kill('SIGKILL') });
  return cli.result;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const COUNT = 300;

describe('a run of another process, live over /ws', () => {
  it('streams every line exactly once and in order, with its step and final state, resuming across a cut', async () => {
    const server = await startServer();
    const dir = tempDir();
    const ended = runElsewhere(server, dir, 'numbers elsewhere', numbersScript(COUNT, 10));
    const id = await lookUp(server, 'numbers elsewhere');

    const first = await connect(server);
    const ack = await first.subscribe(`execution:${id}`, 0);
    expect(ack).toMatchObject({ type: 'subscribed', topic: `execution:${id}` });
    const subscribedAt = [Date.now()];
    fs.writeFileSync(path.join(dir, 'start.gate'), '');

    // Cut the connection mid-run, as a network failure would, and resume where it stopped.
    await waitUntil(() => first.lastSeq(id) >= 100, 20_000);
    expect(server.dropLiveClients()).toBeGreaterThanOrEqual(1);
    await waitUntil(() => first.closed);
    const second = await connect(server);
    await second.subscribe(`execution:${id}`, first.lastSeq(id));
    subscribedAt.push(Date.now());

    const final = await second.finished(id);
    expect(final).toMatchObject({
      type: 'execution',
      execution: {
        id,
        status: 'succeeded',
        exitCode: 0,
        lineCount: COUNT + 2,
        steps: [{ name: 'count', status: 'succeeded' }],
      },
    });
    // The final state comes after the last line.
    expect(second.messages.indexOf(final)).toBeGreaterThan(
      second.messages.findLastIndex((m) => m.type === 'lines'),
    );
    expect((await ended).code).toBe(0);

    const lines = [...(first.lines.get(id) ?? []), ...(second.lines.get(id) ?? [])];
    expect(lines.map((line) => line.seq)).toEqual(range(COUNT + 2));
    expect(lines.slice(1, -1).map((line) => line.text.split(' ')[1])).toEqual(range(COUNT).map(String));

    // The step arrived live, running first, then done.
    const stepStates = [...first.messages, ...second.messages]
      .filter((m): m is Extract<LiveServerMessage, { type: 'steps' }> => m.type === 'steps')
      .flatMap((m) => m.steps.map((step) => `${step.name}:${step.status}`));
    expect(stepStates).toContain('count:running');
    expect(stepStates.at(-1)).toBe('count:succeeded');

    // Print → receive latency of the lines that were printed while a socket was subscribed (the
    // ones printed during the cut come from history, late by design).
    const latencies: number[] = [];
    for (const [index, client] of [first, second].entries()) {
      client.messages.forEach((message, i) => {
        if (message.type !== 'lines') return;
        for (const line of message.lines) {
          const printedAt = Number(line.text.split(' ')[2]);
          if (!Number.isFinite(printedAt) || printedAt < (subscribedAt[index] ?? Infinity)) continue;
          latencies.push(client.receivedAt[i]! - printedAt);
        }
      });
    }
    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    console.log(
      `foreign run → /ws latency over ${latencies.length} lines: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${latencies.at(-1)?.toFixed(0)} ms`,
    );
    expect(latencies.length).toBeGreaterThan(COUNT / 2);
    // Target: p99 ≤ 500 ms (writer commits every 100 ms + a 100 ms poll + batching). Asserted with
    // room for a loaded 2-core machine; the figures above are the real ones.
    expect(p50).toBeLessThan(500);
    expect(p99).toBeLessThan(1000);
  }, 60_000);

  it('shows a run of another process on the executions topic: it appears, is listed as active, and ends', async () => {
    const server = await startServer();
    const dir = tempDir();
    const watcher = await connect(server);
    await watcher.subscribe('executions');
    expect(await watcher.find((m) => m.type === 'executions')).toEqual({ type: 'executions', changes: [] });

    const ended = runElsewhere(server, dir, 'fails elsewhere', numbersScript(20, 20, 3));
    const changeOf = (kinds: string[]) => (m: LiveServerMessage) =>
      m.type === 'executions' &&
      m.changes.some((c) => kinds.includes(c.change) && c.execution.name === 'fails elsewhere');
    const appeared = await watcher.find(changeOf(['queued', 'created']));
    const id = changes(appeared).find((c) => c.execution.name === 'fails elsewhere')!.execution.id;

    // A dashboard opened now lists it among the active executions.
    const late = await connect(server);
    await late.subscribe('executions');
    const active = await late.find((m) => m.type === 'executions');
    expect(changes(active).map((c) => [c.change, c.execution.id])).toEqual([['active', id]]);

    // The same connection also watches the run itself (as the dashboard's execution page does).
    await watcher.subscribe(`execution:${id}`, 0);
    fs.writeFileSync(path.join(dir, 'start.gate'), '');
    await watcher.finished(id);
    const finished = await watcher.find(changeOf(['finished']), 20_000);
    expect(changes(finished).find((c) => c.execution.id === id)?.execution).toMatchObject({
      status: 'failed',
      exitCode: 3,
    });
    expect((await ended).code).toBe(3);
    // Each change once, in order.
    const kinds = watcher.messages.flatMap((m) =>
      changes(m)
        .filter((c) => c.execution.id === id)
        .map((c) => c.change),
    );
    expect(kinds.filter((kind) => kind !== 'updated')).toEqual(
      kinds[0] === 'queued' ? ['queued', 'created', 'finished'] : ['created', 'finished'],
    );
    expect(watcher.seqs(id)).toEqual(range(22));
    expect(
      changes(await late.find(changeOf(['finished']))).find((c) => c.execution.id === id)?.execution,
    ).toMatchObject({ status: 'failed' });
  }, 60_000);
});

function changes(message: LiveServerMessage): ExecutionChange[] {
  return message.type === 'executions' ? message.changes : [];
}

/** The id of the execution named `name`, once the server's API lists it. */
async function lookUp(server: TestServer, name: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await fetch(`${server.url}/api/executions?q=${encodeURIComponent(name)}`);
    const body = (await response.json()) as { items: { id: string; name: string }[] };
    const found = body.items.find((item) => item.name === name);
    if (found) return found.id;
    if (Date.now() > deadline) throw new Error(`no execution named ${name} within 15 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
