import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveHubOptions } from '../../src/server/live/live-hub.js';
import { LiveTestClient, range, startLiveServer, waitUntil, type LiveServer } from './live-test-kit.js';

const servers: LiveServer[] = [];
const clients: LiveTestClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.ws.terminate();
  for (const server of servers.splice(0)) await server.close();
});

const ALLOWANCE = 256 * 1024;
/** What may exceed the allowance: a few small control frames (resync, ping). */
const SLACK = 4 * 1024;

async function setup(live: Partial<LiveHubOptions>): Promise<LiveServer> {
  const server = await startLiveServer({ live: { maxClientBytes: ALLOWANCE, heartbeatMs: 60_000, ...live } });
  servers.push(server);
  return server;
}

async function connect(server: LiveServer): Promise<LiveTestClient> {
  const client = await LiveTestClient.connect(server.wsUrl);
  clients.push(client);
  return client;
}

/** The client's TCP socket: pausing it makes the client stop reading, like a stuck browser tab. */
function socketOf(client: LiveTestClient): Socket {
  return (client.ws as unknown as { _socket: Socket })._socket;
}

/** Prints `count` lines of ~80 bytes as fast as Python can, after `delayMs`. */
function flood(count: number, delayMs = 300): string {
  return `import sys, time
time.sleep(${delayMs / 1000})
pad = "x" * 64
out = sys.stdout
for start in range(1, ${count} + 1, 5000):
    out.write("".join(f"{n} {pad}\\n" for n in range(start, min(start + 5000, ${count} + 1))))
out.flush()
`;
}

/** Samples the hub's per-client accounting until `until` resolves; returns the largest value seen. */
async function peakPending(server: LiveServer, until: Promise<unknown>): Promise<number> {
  let peak = 0;
  let done = false;
  void until.finally(() => (done = true));
  while (!done) {
    for (const bytes of server.hub.stats().clientPendingBytes) peak = Math.max(peak, bytes);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return peak;
}

describe('a client that does not read', () => {
  it('never has more than its allowance queued, gets resync, and completes the log by subscribing again', async () => {
    const server = await setup({});
    const client = await connect(server);
    const lines = 400_000;
    const { id, done } = await server.run(flood(lines));
    await client.subscribe(`execution:${id}`, 0);
    socketOf(client).pause();

    const peak = await peakPending(server, done);
    expect(peak).toBeGreaterThan(ALLOWANCE / 2); // it did fill up…
    expect(peak).toBeLessThanOrEqual(ALLOWANCE + SLACK); // …and stopped there
    expect(server.hub.stats().resyncs).toBe(1);

    socketOf(client).resume();
    const resync = await client.find((m) => m.type === 'resync');
    expect(resync).toMatchObject({ topic: `execution:${id}`, executionId: id });
    const lastSeq = resync.type === 'resync' ? (resync.lastSeq ?? 0) : 0;
    expect(lastSeq).toBeGreaterThan(0);
    expect(lastSeq).toBeLessThan(lines);
    // Everything sent before the resync arrives, and nothing after it.
    expect(client.seqs(id)).toEqual(range(lastSeq));

    await client.subscribe(`execution:${id}`, lastSeq);
    await waitUntil(() => client.lastSeq(id) === lines);
    expect(client.seqs(id)).toEqual(range(lines));
  });

  it('is disconnected when it keeps falling behind', async () => {
    const server = await setup({ maxResyncsPerMinute: 0 });
    const client = await connect(server);
    const { id, done } = await server.run(flood(300_000));
    await client.subscribe(`execution:${id}`, 0);
    socketOf(client).pause();
    const peak = await peakPending(server, done);
    expect(peak).toBeLessThanOrEqual(ALLOWANCE + SLACK);
    expect(server.hub.stats()).toMatchObject({ clients: 0, dropped: 1 });
  });

  it('is disconnected when it misses a pong', async () => {
    const server = await setup({ heartbeatMs: 100 });
    const client = await connect(server);
    const alive = await connect(server);
    socketOf(client).pause();
    await waitUntil(() => server.hub.clientCount() === 1, 5000);
    // A client that answers pings stays.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.hub.clientCount()).toBe(1);
    await alive.subscribe('executions');
  });

  it('gets a long history at its own pace: replay waits for the client instead of queueing', async () => {
    const server = await setup({});
    const lines = 200_000;
    const { id, done } = await server.run(flood(lines, 0));
    await done;
    const client = await connect(server);
    const acked = client.subscribe(`execution:${id}`, 0);
    socketOf(client).pause();
    const pausedFor = new Promise((resolve) => setTimeout(resolve, 500));
    const peak = await peakPending(server, pausedFor);
    expect(peak).toBeLessThanOrEqual(ALLOWANCE + SLACK);
    socketOf(client).resume();
    await acked;
    await waitUntil(() => client.lastSeq(id) === lines);
    expect(client.seqs(id)).toEqual(range(lines));
    expect(server.hub.stats().resyncs).toBe(0);
  });
});
