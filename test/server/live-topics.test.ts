import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionChange, LiveServerMessage } from '../../src/protocol/live-messages.js';
import { LiveTestClient, startLiveServer, type LiveServer } from './live-test-kit.js';

/** Several topics in one subscribe message, and filters on the `executions` topic. */

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

/** Starts a script that runs until `release()` (it waits for a file), with these tags. */
async function startHeld(server: LiveServer, name: string, tags: Record<string, string>) {
  const gate = path.join(server.dir, `release-${name}`);
  const file = `${name}.sh`;
  fs.writeFileSync(path.join(server.dir, file), `while [ ! -f "${gate}" ]; do sleep 0.05; done\necho done\n`);
  const { execution, done } = await server.stepflow.engine.submit({
    argv: ['bash', file],
    cwd: server.dir,
    tags,
  });
  return { id: execution.id, done, release: () => fs.writeFileSync(gate, '') };
}

function changesOf(client: LiveTestClient): ExecutionChange[] {
  return client.messages.flatMap((m) => (m.type === 'executions' ? m.changes : []));
}

const changeOf = (kind: string, id: string) => (m: LiveServerMessage) =>
  m.type === 'executions' && m.changes.some((c) => c.change === kind && c.execution.id === id);

describe('several topics in one message', () => {
  it('acknowledges each topic once and serves each, and unsubscribes several at once', async () => {
    const server = await setup();
    const { id, done } = await server.run('echo one\necho two\n', 'two.sh');
    await done;
    const client = await connect(server);
    const topics = ['executions', 'jobs', `execution:${id}`];
    client.send({ type: 'subscribe', topics });
    for (const topic of topics) await client.find((m) => m.type === 'subscribed' && m.topic === topic);
    // One ack each (not necessarily in order: some topics read a snapshot first).
    expect(client.messages.filter((m) => m.type === 'subscribed')).toHaveLength(3);
    // Each topic is served: the execution's full state, and the (empty) active list.
    await client.finished(id);
    await client.find((m) => m.type === 'executions');

    const gone = client.find((m) => m.type === 'unsubscribed' && m.topic === 'jobs');
    client.send({ type: 'unsubscribe', topics: ['executions', 'jobs'] });
    await gone;
    expect(client.messages.filter((m) => m.type === 'unsubscribed').map((m) => m.topic)).toEqual([
      'executions',
      'jobs',
    ]);
    expect(server.hub.stats().subscriptions).toBe(1);
  });

  it('answers a topic it cannot serve with an error naming it, and still subscribes the others', async () => {
    const server = await setup();
    const client = await connect(server);
    const error = client.find((m) => m.type === 'error');
    client.send({ type: 'subscribe', topics: ['execution:nope', 'jobs'] });
    expect(await error).toMatchObject({ code: 'not_found', topic: 'execution:nope' });
    await client.find((m) => m.type === 'subscribed' && m.topic === 'jobs');
  });
});

describe('filters on the executions topic', () => {
  it('lists and sends only matching executions, and the change that takes one out of the filter once', async () => {
    const server = await setup();
    const prod = await startHeld(server, 'prod', { env: 'prod', team: 'a' });
    const dev = await startHeld(server, 'dev', { env: 'dev', team: 'a' });
    const everything = await connect(server);
    const filtered = await connect(server);
    await everything.subscribe('executions');
    const ack = filtered.find((m) => m.type === 'subscribed');
    filtered.send({
      type: 'subscribe',
      topic: 'executions',
      filter: { status: ['running'], tag: ['env=prod', 'team'] },
    });
    await ack;
    const active = await filtered.find((m) => m.type === 'executions');
    expect(active).toMatchObject({ changes: [{ change: 'active', execution: { id: prod.id } }] });
    expect(active.type === 'executions' && active.changes).toHaveLength(1);

    // One that does not match starts and ends: nothing of it is sent.
    const other = await startHeld(server, 'other', { env: 'prod' });
    other.release();
    dev.release();
    await Promise.all([other.done, dev.done]);
    await everything.find(changeOf('finished', dev.id));
    await everything.find(changeOf('finished', other.id));

    // The matching one ends: `succeeded` no longer matches `running`, and that change still comes.
    prod.release();
    await prod.done;
    await filtered.find(changeOf('finished', prod.id));
    const ids = new Set(changesOf(filtered).map((c) => c.execution.id));
    expect([...ids]).toEqual([prod.id]);
    const last = changesOf(filtered).at(-1);
    expect(last).toMatchObject({ change: 'finished', execution: { id: prod.id, status: 'succeeded' } });
    expect(changesOf(filtered).filter((c) => c.change === 'finished')).toHaveLength(1);
  });

  it("sends only a job's runs with a jobId filter, and ends ones that were never shown silently", async () => {
    const server = await setup();
    const api = async (pathname: string, body?: object): Promise<{ id: string }> => {
      const response = await fetch(`${server.url}${pathname}`, {
        method: 'POST',
        ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
      });
      expect(response.status).toBe(201);
      return (await response.json()) as { id: string };
    };
    const job = await api('/api/jobs', { name: 'nightly', command: 'echo nightly', triggers: [] });
    const client = await connect(server);
    const everything = await connect(server);
    await everything.subscribe('executions');
    const ack = client.find((m) => m.type === 'subscribed' && m.topic === 'executions');
    // With `topics`, the filter applies to `executions`.
    client.send({ type: 'subscribe', topics: ['jobs', 'executions'], filter: { jobId: job.id } });
    await ack;
    const adHoc = await server.run('echo ad hoc\n', 'ad-hoc.sh');
    await adHoc.done;
    await everything.find(changeOf('finished', adHoc.id));
    const run = await api(`/api/jobs/${job.id}/run`);
    await client.find(changeOf('finished', run.id));
    expect(new Set(changesOf(client).map((c) => c.execution.id))).toEqual(new Set([run.id]));
    expect(changesOf(client).every((c) => c.execution.jobId === job.id)).toBe(true);
  });

  it('replaces the filter when the topic is subscribed again', async () => {
    const server = await setup();
    const prod = await startHeld(server, 'prod', { env: 'prod' });
    const client = await connect(server);
    const first = client.find((m) => m.type === 'executions');
    client.send({ type: 'subscribe', topic: 'executions', filter: { tag: ['env=dev'] } });
    expect(await first).toEqual({ type: 'executions', changes: [] });
    const second = client.next((m) => m.type === 'executions');
    client.send({ type: 'subscribe', topic: 'executions' });
    expect(await second).toMatchObject({ changes: [{ change: 'active', execution: { id: prod.id } }] });
    prod.release();
    await client.find(changeOf('finished', prod.id));
  });

  it('refuses bad filters and bad multi-topic messages, naming the field', async () => {
    const server = await setup();
    const client = await connect(server);
    const errorAfter = async (message: unknown): Promise<unknown> => {
      const reply = client.next((m) => m.type === 'error');
      client.send(message);
      return reply;
    };
    const subscribe = (filter: unknown) => ({ type: 'subscribe', topic: 'executions', filter });
    expect(await errorAfter(subscribe({ status: ['running'], colour: 'red' }))).toMatchObject({
      code: 'validation_failed',
      field: 'filter.colour',
      topic: 'executions',
      message: expect.stringContaining('filter.colour'),
    });
    expect(await errorAfter(subscribe({ status: ['running', 'sleeping'] }))).toMatchObject({
      code: 'validation_failed',
      field: 'filter.status',
      message: expect.stringContaining('"sleeping"'),
    });
    expect(await errorAfter(subscribe({ status: 'running' }))).toMatchObject({ field: 'filter.status' });
    expect(await errorAfter(subscribe({ status: [] }))).toMatchObject({ field: 'filter.status' });
    expect(await errorAfter(subscribe({ tag: ['=prod'] }))).toMatchObject({ field: 'filter.tag' });
    expect(await errorAfter(subscribe({ jobId: 7 }))).toMatchObject({ field: 'filter.jobId' });
    expect(await errorAfter(subscribe([]))).toMatchObject({ field: 'filter' });
    expect(
      await errorAfter({ type: 'subscribe', topic: 'jobs', filter: { status: ['running'] } }),
    ).toMatchObject({ code: 'validation_failed', field: 'filter' });
    expect(
      await errorAfter({ type: 'subscribe', topics: ['execution:a', 'execution:b'], since: 0 }),
    ).toMatchObject({ code: 'validation_failed', field: 'since' });
    expect(await errorAfter({ type: 'subscribe', topics: [] })).toMatchObject({ field: 'topics' });
    expect(await errorAfter({ type: 'subscribe', topics: ['jobs', 'jobs'] })).toMatchObject({
      field: 'topics',
    });
    expect(await errorAfter({ type: 'subscribe', topic: 'jobs', topics: ['jobs'] })).toMatchObject({
      field: 'topics',
    });
    // A bad topic anywhere in the list subscribes to none of them.
    expect(await errorAfter({ type: 'subscribe', topics: ['jobs', 'weather'] })).toMatchObject({
      topic: 'weather',
    });
    const pong = client.next((m) => m.type === 'pong');
    client.send({ type: 'ping' });
    await pong;
    expect(client.messages.some((m) => m.type === 'subscribed')).toBe(false);
    expect(server.hub.stats().subscriptions).toBe(0);
  });
});
