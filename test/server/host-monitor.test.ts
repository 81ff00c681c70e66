import type { ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_TOPIC, type HostMessage, type LiveServerMessage } from '../../src/protocol/live-messages.js';
import type { HostReportJson } from '../../src/protocol/host-schemas.js';
import { startCli, waitForOutput } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { LiveTestClient } from './live-test-kit.js';

/**
 * The host monitor over HTTP and `/ws` (docs/DASHBOARD.md, "Host monitor"): one server for the
 * file, a viewer signed in, a real `stepflow worker` from dist/.
 */
const KEY = `key-${crypto.randomUUID()}`;
const PASSWORD = 'correct horse battery';
const tempDir = useTempDirs();
let server: TestServer;
let viewer: Record<string, string>;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  server = await startTestServer({ env: { STEPFLOW_API_KEY: KEY } });
  await server.stepflow.app.users.add({ name: 'vera', role: 'viewer', password: PASSWORD });
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'vera', password: PASSWORD }),
  });
  expect(login.status).toBe(200);
  viewer = { cookie: (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '' };
});
afterAll(async () => {
  for (const child of workers)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await server?.close();
});

async function getHost(headers: Record<string, string> = viewer): Promise<HostReportJson> {
  const response = await fetch(`${server.url}/api/host`, { headers });
  expect(response.status).toBe(200);
  return (await response.json()) as HostReportJson;
}

const isHost = (id: string) => (m: LiveServerMessage) => m.type === 'host' && m.id === id;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('host monitor', () => {
  it("lets a viewer read this server's machine, sampling nothing while nobody watches; anonymous gets 401", async () => {
    const anonymous = await fetch(`${server.url}/api/host`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBeTruthy();

    const report = await getHost();
    expect(report).toMatchObject({ intervalMs: 2000, historyMs: 600_000, sampling: false });
    expect(report.hosts).toHaveLength(1);
    const [own] = report.hosts;
    expect(own).toMatchObject({ id: 'server', kind: 'server', name: hostname(), history: [] });
    expect(own!.current!.memory!.totalBytes).toBeGreaterThan(0);
    expect(own!.current!.disk!.path).toBe(server.dataDir);
    expect(own!.current!.cpu!.perCore.length).toBeGreaterThan(0);
    expect(own!.current!.stepflow.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    // A read answers with a fresh sample but does not start the sampling.
    expect((await getHost()).sampling).toBe(false);
  });

  it('sends a sample every 2 s on the host topic while watched, and stops sampling when the last watcher goes', async () => {
    const first = await LiveTestClient.connect(`ws://127.0.0.1:${server.port}/ws`, { headers: viewer });
    expect(await first.subscribe(HOST_TOPIC)).toEqual({ type: 'subscribed', topic: 'host', lastSeq: null });
    const one = (await first.next(isHost('server'), 10_000)) as HostMessage;
    const two = (await first.next(isHost('server'), 10_000)) as HostMessage;
    expect(two.sample.ts - one.sample.ts).toBeGreaterThan(1000);
    expect(two.sample.memory!.totalBytes).toBe(one.sample.memory!.totalBytes);
    expect(one).toMatchObject({ kind: 'server', name: hostname(), host: hostname() });

    const watched = await getHost();
    expect(watched.sampling).toBe(true);
    expect(watched.hosts[0]!.history.length).toBeGreaterThanOrEqual(2);
    expect(watched.hosts[0]!.current).toEqual(watched.hosts[0]!.history.at(-1));

    // A second watcher leaving keeps the first one's samples coming.
    const second = await LiveTestClient.connect(`ws://127.0.0.1:${server.port}/ws`, { headers: viewer });
    await second.subscribe(HOST_TOPIC);
    second.close();
    await first.next(isHost('server'), 10_000);

    first.send({ type: 'unsubscribe', topic: HOST_TOPIC });
    await first.next((m) => m.type === 'unsubscribed');
    const delivered = first.messages.filter(isHost('server')).length;
    const after = await getHost();
    expect(after.sampling).toBe(false);
    const kept = after.hosts[0]!.history.length;
    await sleep(4500);
    const later = await getHost();
    expect(later.sampling).toBe(false);
    expect(later.hosts[0]!.history.length).toBe(kept);
    expect(first.messages.filter(isHost('server')).length).toBe(delivered);
    first.close();
  }, 40_000);

  it("lists a live worker's sample from its heartbeats; an older worker without one still heartbeats", async () => {
    const watcher = await LiveTestClient.connect(`ws://127.0.0.1:${server.port}/ws`, { headers: viewer });
    await watcher.subscribe(HOST_TOPIC);
    const { child } = startCli(['worker', '--server', server.url, '--name', 'host-w1'], {
      dataDir: tempDir(),
      env: { STEPFLOW_SPOOL_DIR: tempDir(), STEPFLOW_TOKEN: KEY },
    });
    workers.push(child);
    await waitForOutput(child, (stdout) => stdout.includes('claiming runs'), 20_000);
    const live = (await watcher.find(isHost('worker:host-w1'), 20_000)) as HostMessage;
    expect(live).toMatchObject({ kind: 'worker', name: 'host-w1', host: hostname() });
    expect(live.sample.memory!.totalBytes).toBeGreaterThan(0);
    expect(live.sample.stepflow.rssBytes).toBeGreaterThan(0);

    // As a worker before the host monitor sends it: no `host` field.
    const bearer = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    const identity = { name: 'old-w2', host: 'old-box', labels: [], slots: 1, version: '0.9.0' };
    const old = await fetch(`${server.url}/api/workers/heartbeat`, {
      method: 'POST',
      headers: bearer,
      body: JSON.stringify({ worker: identity, runs: [] }),
    });
    expect(old.status).toBe(200);
    // A sample out of range is refused, naming the field.
    const bad = await fetch(`${server.url}/api/workers/heartbeat`, {
      method: 'POST',
      headers: bearer,
      body: JSON.stringify({
        worker: identity,
        runs: [],
        host: { ...live.sample, cpu: { percent: 101, perCore: [] } },
      }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('host.cpu');

    const report = await getHost();
    expect(report.hosts.map((h) => h.id)).toEqual(['server', 'worker:host-w1', 'worker:old-w2']);
    const worker = report.hosts.find((h) => h.id === 'worker:host-w1')!;
    expect(worker.current!.memory!.totalBytes).toBe(live.sample.memory!.totalBytes);
    expect(worker.history.length).toBeGreaterThanOrEqual(1);
    expect(report.hosts.find((h) => h.id === 'worker:old-w2')).toMatchObject({
      kind: 'worker',
      host: 'old-box',
      current: null,
      history: [],
    });
    watcher.close();
  }, 40_000);

  it('shows the worker on another server of the same store, live, though its heartbeats go to the first', async () => {
    // A second replica: the worker from the case above keeps heartbeating to `server` only.
    const other = await startTestServer({ dataDir: server.dataDir, env: { STEPFLOW_API_KEY: KEY } });
    try {
      const bearer = { authorization: `Bearer ${KEY}` };
      const report = (await (
        await fetch(`${other.url}/api/host`, { headers: bearer })
      ).json()) as HostReportJson;
      expect(
        report.hosts.find((h) => h.id === 'worker:host-w1')?.current?.memory?.totalBytes,
      ).toBeGreaterThan(0);
      const watcher = await LiveTestClient.connect(`ws://127.0.0.1:${other.port}/ws`, {
        protocols: ['stepflow.v1', `bearer.${KEY}`],
      });
      await watcher.subscribe(HOST_TOPIC);
      const seen = report.hosts.find((h) => h.id === 'worker:host-w1')!.current!.ts;
      const next = (await watcher.next(
        (m) => isHost('worker:host-w1')(m) && (m as HostMessage).sample.ts > seen,
        20_000,
      )) as HostMessage;
      expect(next).toMatchObject({ kind: 'worker', name: 'host-w1', host: hostname() });
      watcher.close();
    } finally {
      await other.close();
    }
  }, 40_000);

  it("puts each machine's latest figures in /api/health/metrics and /metrics: the server's and the live worker's", async () => {
    const metrics = (await (await fetch(`${server.url}/api/health/metrics`, { headers: viewer })).json()) as {
      hosts: { id: string; kind: string; current: { memory: { totalBytes: number } | null } | null }[];
    };
    expect(metrics.hosts.map((h) => h.id)).toEqual(expect.arrayContaining(['server', 'worker:host-w1']));
    expect(metrics.hosts[0]).toMatchObject({ id: 'server', kind: 'server' });
    expect(metrics.hosts.find((h) => h.id === 'worker:host-w1')!.current!.memory!.totalBytes).toBeGreaterThan(
      0,
    );
    // No history here (GET /api/host has it).
    expect(metrics.hosts[0]).not.toHaveProperty('history');

    const text = await (
      await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })
    ).text();
    const sample = (name: string, host: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`host="${host}"`));
      expect(
        line,
        `${name} for ${host} in /metrics:\n${text
          .split('\n')
          .filter((l) => l.startsWith('stepflow_host'))
          .join('\n')}`,
      ).toBeDefined();
      return Number(line!.split(' ').at(-1));
    };
    for (const host of ['server', 'worker:host-w1']) {
      expect(sample('stepflow_host_memory_total_bytes', host)).toBeGreaterThan(0);
      expect(sample('stepflow_host_process_rss_bytes', host)).toBeGreaterThan(0);
      const cpu = sample('stepflow_host_cpu_percent', host);
      expect(cpu).toBeGreaterThanOrEqual(0);
      expect(cpu).toBeLessThanOrEqual(100);
    }
    // The worker's spool dir went with the case that started it (temp dirs are removed after each
    // case), so only the server's disk is read here.
    expect(sample('stepflow_host_disk_free_bytes', 'server')).toBeGreaterThan(0);
    expect(text).toContain(`stepflow_host_load1{host="server",kind="server",name="${hostname()}"}`);
  });
});
