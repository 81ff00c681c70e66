import { afterEach, describe, expect, it } from 'vitest';
import type { Step } from '../../src/core/model.js';
import type { LiveServerMessage } from '../../src/protocol/live-messages.js';
import {
  burstScript,
  LiveTestClient,
  range,
  startLiveServer,
  waitUntil,
  type LiveServer,
} from './live-test-kit.js';

const servers: LiveServer[] = [];
const clients: LiveTestClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.ws.terminate();
  for (const server of servers.splice(0)) await server.close();
});

async function setup(): Promise<LiveServer> {
  const server = await startLiveServer();
  servers.push(server);
  return server;
}

async function connect(server: LiveServer): Promise<LiveTestClient> {
  const client = await LiveTestClient.connect(server.wsUrl);
  clients.push(client);
  return client;
}

/** 20,000 lines in bursts of 500, in 5 steps: 10 marker lines besides. */
const LINES = 20_000;
const TOTAL = LINES + 10;

describe('live execution topic', () => {
  it('sends a watcher every line exactly once and in order, with the steps and the final state', async () => {
    const server = await setup();
    const client = await connect(server);
    const { id } = await server.run(burstScript({ lines: LINES, steps: 5, startDelayMs: 200 }));
    const ack = await client.subscribe(`execution:${id}`, 0);
    expect(ack).toMatchObject({ type: 'subscribed', topic: `execution:${id}` });

    const final = await client.finished(id);
    expect(final).toMatchObject({ type: 'execution', execution: { status: 'succeeded', lineCount: TOTAL } });
    expect(client.seqs(id)).toEqual(range(TOTAL));
    // The terminal state comes after the last line, so a client may stop reading there.
    const lastLines = client.messages.findLastIndex((m) => m.type === 'lines');
    expect(client.messages.indexOf(final)).toBeGreaterThan(lastLines);

    const lines = client.lines.get(id) ?? [];
    expect(lines[0]).toMatchObject({
      seq: 1,
      stream: 'stdout',
      stepId: 1,
      text: 'STEP_START:part 1',
      flags: 1,
    });
    expect(lines[1]).toEqual({ seq: 2, ts: expect.any(Number), stream: 'stdout', stepId: 1, text: 'line 1' });
    const steps = new Map<number, Step>();
    for (const m of client.messages)
      if (m.type === 'steps') for (const step of m.steps) steps.set(step.id, step);
    expect([...steps.values()].map((s) => [s.name, s.status])).toEqual(
      range(5).map((n) => [`part ${n}`, 'succeeded']),
    );
    // Batched: far fewer frames than lines.
    expect(client.messages.filter((m) => m.type === 'lines').length).toBeLessThan(TOTAL / 50);
  });

  it('sends lines after a quiet spell at once, and a chatty script at most one frame per 20 ms', async () => {
    const server = await setup();
    const client = await connect(server);
    const script = `
import time
time.sleep(0.3)
for i in range(5):
    print(f"quiet {i}", flush=True)
    time.sleep(0.15)
end = time.time() + 0.5
n = 0
while time.time() < end:
    n += 1
    print(f"chatty {n}", flush=True)
    time.sleep(0.001)
`;
    const { id } = await server.run(script);
    await client.subscribe(`execution:${id}`, 0);
    await client.finished(id);
    const frames = client.messages
      .map((message, i) => ({ message, at: client.receivedAt[i]! }))
      .filter(
        (f): f is { message: Extract<LiveServerMessage, { type: 'lines' }>; at: number } =>
          f.message.type === 'lines' && f.message.executionId === id,
      );
    // Quiet: from the server reading a line to the client having it. A batch that waited for a
    // fixed 20 ms timer could never be under 20 ms.
    const quietDelays = frames
      .filter((f) => f.message.lines.some((line) => line.text.startsWith('quiet')))
      .map((f) => f.at - f.message.lines[0]!.ts);
    expect(quietDelays.length).toBeGreaterThanOrEqual(3);
    expect(Math.min(...quietDelays)).toBeLessThan(15);
    // Chatty: hundreds of reads, yet batched to the interval.
    const chatty = frames.filter((f) => f.message.lines.some((line) => line.text.startsWith('chatty')));
    const chattyLines = chatty.reduce((n, f) => n + f.message.lines.length, 0);
    const span = chatty.at(-1)!.at - chatty[0]!.at;
    expect(chattyLines).toBeGreaterThan(100);
    expect(chatty.length).toBeLessThanOrEqual(span / 20 + 3);
  });

  it('gives a late subscriber with since=0 the whole history, then the live rest, without gap or duplicate', async () => {
    const server = await setup();
    const { id } = await server.run(burstScript({ lines: LINES, burst: 200, pauseMs: 10 }));
    // Subscribe mid-run, when part of the log is committed and part is still on its way.
    await waitUntil(() => (server.stepflow.engine.active()[0]?.lineCount ?? 0) > 4000);
    const client = await connect(server);
    const ack = await client.subscribe(`execution:${id}`, 0);
    expect(ack.type === 'subscribed' && ack.lastSeq).toBeGreaterThan(4000);
    const snapshot = await client.find((m) => m.type === 'execution');
    expect(snapshot).toMatchObject({ execution: { id, status: 'running', steps: [{ name: 'part 1' }] } });
    await client.finished(id);
    expect(client.seqs(id)).toEqual(range(LINES + 2));
  });

  it('resumes after the socket is cut mid-run: since=<last seq seen> completes the log exactly once', async () => {
    const server = await setup();
    const { id } = await server.run(burstScript({ lines: LINES, steps: 2, burst: 200, pauseMs: 10 }));
    const seen: number[] = [];
    let since = 0;
    // Cut the connection three times at different points, each time without a goodbye.
    for (const cutAt of [3000, 9000, 15_000]) {
      const client = await connect(server);
      await client.subscribe(`execution:${id}`, since);
      await waitUntil(() => client.lastSeq(id) >= cutAt);
      client.ws.terminate();
      seen.push(...client.seqs(id));
      since = client.lastSeq(id);
    }
    const last = await connect(server);
    await last.subscribe(`execution:${id}`, since);
    await last.finished(id);
    seen.push(...last.seqs(id));
    expect(seen).toEqual(range(LINES + 4));
  });

  it('without since, sends only lines after the acknowledged lastSeq', async () => {
    const server = await setup();
    const { id } = await server.run(burstScript({ lines: 6000, burst: 100, pauseMs: 10 }));
    await waitUntil(() => (server.stepflow.engine.active()[0]?.lineCount ?? 0) > 1000);
    const client = await connect(server);
    const ack = await client.subscribe(`execution:${id}`);
    const lastSeq = ack.type === 'subscribed' ? (ack.lastSeq ?? 0) : 0;
    expect(lastSeq).toBeGreaterThan(1000);
    await client.finished(id);
    expect(client.seqs(id)).toEqual(range(6002, lastSeq + 1));
  });

  it('serves a finished execution from the store alone', async () => {
    const server = await setup();
    const { id, done } = await server.run(burstScript({ lines: 3000, steps: 3 }));
    await done;
    const client = await connect(server);
    const ack = await client.subscribe(`execution:${id}`, 1000);
    expect(ack).toEqual({ type: 'subscribed', topic: `execution:${id}`, lastSeq: 3006 });
    await waitUntil(() => client.lastSeq(id) === 3006);
    expect(client.seqs(id)).toEqual(range(3006, 1001));
    const state = await client.find((m) => m.type === 'execution');
    expect(state.type === 'execution' && state.execution.steps.map((s) => s.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
  });
});

describe('several topics', () => {
  it('reports created and finished executions on the executions topic', async () => {
    const server = await setup();
    const client = await connect(server);
    await client.subscribe('executions');
    const active = await client.find((m) => m.type === 'executions');
    expect(active).toEqual({ type: 'executions', changes: [] });
    const { id } = await server.run('echo hello\n', 'hello.sh');
    const created = await client.find(
      (m) =>
        m.type === 'executions' && m.changes.some((c) => c.change === 'created' && c.execution.id === id),
    );
    const finished = await client.find(
      (m) =>
        m.type === 'executions' && m.changes.some((c) => c.change === 'finished' && c.execution.id === id),
    );
    expect(client.messages.indexOf(finished)).toBeGreaterThanOrEqual(client.messages.indexOf(created));
    const change =
      finished.type === 'executions' ? finished.changes.find((c) => c.change === 'finished') : undefined;
    expect(change?.execution).toMatchObject({ id, status: 'succeeded', exitCode: 0 });
  });

  it('reports jobs created, changed and deleted on the jobs topic, whoever changed them', async () => {
    const server = await setup();
    const client = await connect(server);
    expect(await client.subscribe('jobs')).toEqual({ type: 'subscribed', topic: 'jobs', lastSeq: null });
    const api = (method: string, path: string, body?: object) =>
      fetch(`${server.url}${path}`, {
        method,
        ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
      });
    const created = await api('POST', '/api/jobs', { name: 'nightly', command: 'true', triggers: [] });
    const { id } = (await created.json()) as { id: string };
    await api('POST', `/api/jobs/${id}/pause`);
    await api('PATCH', `/api/jobs/${id}`, { command: 'echo changed' });
    await api('DELETE', `/api/jobs/${id}`);
    await client.find((m) => m.type === 'jobs' && m.changes.some((c) => c.change === 'deleted'));
    expect(client.messages.filter((m) => m.type === 'jobs')).toEqual(
      ['created', 'paused', 'updated', 'deleted'].map((change) => ({
        type: 'jobs',
        changes: [{ change, jobId: id }],
      })),
    );
    // A refused change says nothing.
    await api('PATCH', `/api/jobs/${id}`, { command: 'echo gone' });
    await client.subscribe('executions');
    expect(client.messages.filter((m) => m.type === 'jobs')).toHaveLength(4);
  });

  it('reports an execution waiting for a slot as queued, then created when it starts', async () => {
    const server = await startLiveServer({ config: { maxConcurrent: 1 } });
    servers.push(server);
    const client = await connect(server);
    await client.subscribe('executions');
    await client.find((m) => m.type === 'executions');
    const first = await server.run('import time\ntime.sleep(0.5)\n');
    const second = await server.run('print("second")\n');
    const change = (kind: string, id: string) =>
      client.find(
        (m) => m.type === 'executions' && m.changes.some((c) => c.change === kind && c.execution.id === id),
      );
    const queued = await change('queued', second.id);
    const started = await change('created', second.id);
    expect(client.messages.indexOf(started)).toBeGreaterThan(client.messages.indexOf(queued));
    const entry =
      queued.type === 'executions' ? queued.changes.find((c) => c.change === 'queued') : undefined;
    expect(entry?.execution).toMatchObject({ id: second.id, status: 'queued' });
    await first.done;
  });

  it('lists what is running when a dashboard subscribes', async () => {
    const server = await setup();
    const { id } = await server.run('import time\ntime.sleep(30)\n');
    const client = await connect(server);
    await client.subscribe('executions');
    const active = await client.find((m) => m.type === 'executions');
    expect(active).toMatchObject({ changes: [{ change: 'active', execution: { id, status: 'running' } }] });
  });

  it('streams two executions and the dashboard topic on one connection, each exactly once', async () => {
    const server = await setup();
    const client = await connect(server);
    await client.subscribe('executions');
    const a = await server.run(burstScript({ lines: 5000, burst: 250, startDelayMs: 100 }));
    const b = await server.run(burstScript({ lines: 7000, burst: 350, startDelayMs: 100 }));
    await Promise.all([client.subscribe(`execution:${a.id}`, 0), client.subscribe(`execution:${b.id}`, 0)]);
    await Promise.all([client.finished(a.id), client.finished(b.id)]);
    expect(client.seqs(a.id)).toEqual(range(5002));
    expect(client.seqs(b.id)).toEqual(range(7002));
    const finishedIds = client.messages.flatMap((m: LiveServerMessage) =>
      m.type === 'executions'
        ? m.changes.filter((c) => c.change === 'finished').map((c) => c.execution.id)
        : [],
    );
    expect(finishedIds.sort()).toEqual([a.id, b.id].sort());

    // Unsubscribing one topic leaves the others.
    client.send({ type: 'unsubscribe', topic: `execution:${a.id}` });
    await client.find((m) => m.type === 'unsubscribed' && m.topic === `execution:${a.id}`);
    expect(server.hub.stats().subscriptions).toBe(2);
  });

  it('serves 20 watchers of one execution, each every line exactly once', async () => {
    const server = await setup();
    const { id } = await server.run(burstScript({ lines: LINES, burst: 1000, startDelayMs: 300 }));
    const watchers = await Promise.all(range(20).map(() => connect(server)));
    await Promise.all(watchers.map((w) => w.subscribe(`execution:${id}`, 0)));
    await Promise.all(watchers.map((w) => w.finished(id)));
    for (const watcher of watchers) expect(watcher.seqs(id)).toEqual(range(LINES + 2));
  });
});
