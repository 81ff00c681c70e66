import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { ulid } from 'ulid';
import { afterEach, describe, expect, it } from 'vitest';
import { isExecutionEvent, type ExecutionEvent } from '../../src/core/events.js';
import type { Execution, LogLine } from '../../src/core/model.js';
import type { RemoteExecution } from '../../src/protocol/remote-schemas.js';
import { currentOwner, isOwnerAlive } from '../../src/runner/process-owner.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    // A streamed download may still be finishing server-side when the client has every byte; such
    // a keep-alive connection is not idle at close and would hold it for Fastify's 72 s keep-alive.
    server.app.server.closeAllConnections();
    await server.close();
  }
});

async function server(env: NodeJS.ProcessEnv = {}): Promise<TestServer> {
  const started = await startTestServer({ env });
  servers.push(started);
  return started;
}

interface Reply {
  status: number;
  body: { error?: { code: string; message: string; details?: { expectedSeq?: number } } } & Record<
    string,
    unknown
  >;
}

async function send(
  base: string,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const response = await fetch(`${base}${url}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Reply['body'] };
}

/** An execution as a client sends it (the wire shape: the summary text, not `hasSummary`). */
function snapshot(overrides: Partial<RemoteExecution> = {}): RemoteExecution {
  const now = new Date().toISOString();
  return {
    id: ulid().toLowerCase(),
    name: 'remote job',
    command: 'make test',
    argv: null,
    cwd: '/srv/app',
    tags: { team: 'ops' },
    status: 'running',
    exitCode: null,
    signal: null,
    error: null,
    createdAt: now,
    startedAt: now,
    endedAt: null,
    durationMs: null,
    timeoutSeconds: null,
    meta: {},
    estimatedDurationSeconds: null,
    lateAfterSeconds: null,
    owner: { host: 'build-host-7', pid: 4242, startTime: 99 },
    lineCount: 0,
    resources: null,
    jobId: null,
    attempt: null,
    retryOfId: null,
    scheduledAt: null,
    rerunOf: null,
    resumeFrom: null,
    summary: null,
    outputs: {},
    limits: null,
    limitHits: [],
    ...overrides,
  };
}

const lines = (from: number, to: number): LogLine[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    seq: from + i,
    ts: 1_700_000_000_000 + from + i,
    stream: 'stdout' as const,
    stepId: null,
    text: `line ${from + i}`,
    flags: 0,
  }));

async function create(base: string, execution: RemoteExecution): Promise<Reply> {
  return send(base, 'POST', '/api/remote/executions', { execution });
}

async function storedLines(s: TestServer, id: string): Promise<string[]> {
  const page = await s.stepflow.store.readLog(id, { limit: 10_000 });
  return page.lines.map((l) => `${l.seq}:${l.text}`);
}

describe('POST /api/remote/executions', () => {
  it('creates a remote execution under the client id, tagged with its host; a retried create answers 200', async () => {
    const s = await server();
    const execution = snapshot();
    const first = await create(s.url, execution);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ id: execution.id, created: true, lastSeq: 0 });
    await send(s.url, 'POST', `/api/remote/executions/${execution.id}/batches`, { lines: lines(1, 3) });
    const again = await create(s.url, execution);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, lastSeq: 3 });
    const stored = await s.stepflow.store.getExecution(execution.id);
    expect(stored).toMatchObject({
      status: 'running',
      tags: { team: 'ops', 'stepflow.remote': 'build-host-7' },
      owner: execution.owner,
    });
  });

  it('refuses to re-run a remote execution here (its command belongs to its host)', async () => {
    const s = await server();
    const execution = snapshot();
    await create(s.url, execution);
    const rerun = await send(s.url, 'POST', `/api/executions/${execution.id}/rerun`);
    expect(rerun.status).toBe(409);
    expect(rerun.body.error?.message).toContain('build-host-7');
    // From a step too: refused before its steps are looked at.
    const resumed = await send(s.url, 'POST', `/api/executions/${execution.id}/rerun`, { fromStep: 'Test' });
    expect(resumed.status).toBe(409);
    expect((await s.stepflow.store.listExecutions()).items).toHaveLength(1);
  });

  it('records a cancel of a remote execution (202) and says so in the answers to its batches until it ends', async () => {
    const s = await server();
    const execution = snapshot();
    await create(s.url, execution);
    const batchUrl = `/api/remote/executions/${execution.id}/batches`;
    expect((await send(s.url, 'POST', batchUrl, { lines: lines(1, 2) })).body).toEqual({ lastSeq: 2 });

    const cancel = await send(s.url, 'POST', `/api/executions/${execution.id}/cancel`);
    expect(cancel.status).toBe(202);
    expect(cancel.body).toMatchObject({ id: execution.id, status: 'running' });
    // Stopping it is the client's job: here it stays running until the client reports its end.
    expect(await s.stepflow.store.getExecution(execution.id)).toMatchObject({ status: 'running' });
    expect((await send(s.url, 'POST', batchUrl, { lines: [] })).body).toEqual({
      lastSeq: 2,
      cancelRequested: true,
    });
    const ended = { ...execution, status: 'cancelled', endedAt: new Date().toISOString(), durationMs: 5 };
    expect((await send(s.url, 'POST', batchUrl, { lines: lines(3, 3), execution: ended })).body).toEqual({
      lastSeq: 3,
    });
    expect(await s.stepflow.store.getExecution(execution.id)).toMatchObject({ status: 'cancelled' });
  });

  it('refuses a malformed id, a finished execution and one without an owner', async () => {
    const s = await server();
    expect((await create(s.url, snapshot({ id: 'not-a-ulid' }))).status).toBe(400);
    expect((await create(s.url, snapshot({ status: 'succeeded' }))).status).toBe(400);
    const ownerless = await create(s.url, snapshot({ owner: null }));
    expect(ownerless.status).toBe(400);
    expect(ownerless.body.error?.message).toMatch(/owner/);
  });

  it('never takes over an execution the server (or a local CLI) runs', async () => {
    const s = await server();
    const { execution } = await s.stepflow.engine.submit({ command: 'sleep 5', cwd: process.cwd() });
    const takeover = await create(s.url, snapshot({ id: execution.id }));
    expect(takeover.status).toBe(409);
    const batch = await send(s.url, 'POST', `/api/remote/executions/${execution.id}/batches`, {
      lines: lines(1, 1),
    });
    expect(batch.status).toBe(409);
    expect(batch.body.error?.code).toBe('conflict');
    s.stepflow.engine.cancel(execution.id);
  });

  it('needs the bearer token when keys are configured', async () => {
    const s = await server({ STEPFLOW_API_KEY: 'right-key' });
    const execution = snapshot();
    const wrong = await send(
      s.url,
      'POST',
      '/api/remote/executions',
      { execution },
      { authorization: 'Bearer nope' },
    );
    expect(wrong.status).toBe(401);
    const right = await send(
      s.url,
      'POST',
      '/api/remote/executions',
      { execution },
      { authorization: 'Bearer right-key' },
    );
    expect(right.status).toBe(201);
  });
});

describe('POST /api/remote/executions/:id/batches', () => {
  it('stores a retried batch once and skips the lines it already holds', async () => {
    const s = await server();
    const execution = snapshot();
    await create(s.url, execution);
    const url = `/api/remote/executions/${execution.id}/batches`;
    const batch = { lines: lines(1, 3) };
    expect((await send(s.url, 'POST', url, batch)).body).toEqual({ lastSeq: 3 });
    expect((await send(s.url, 'POST', url, batch)).body).toEqual({ lastSeq: 3 });
    // Overlapping: 2..5 adds only 4 and 5.
    expect((await send(s.url, 'POST', url, { lines: lines(2, 5) })).body).toEqual({ lastSeq: 5 });
    expect(await storedLines(s, execution.id)).toEqual([
      '1:line 1',
      '2:line 2',
      '3:line 3',
      '4:line 4',
      '5:line 5',
    ]);
    expect((await s.stepflow.store.getExecution(execution.id))?.lineCount).toBe(5);
  });

  it('refuses a batch that would leave a gap with 409 and the seq to resend from', async () => {
    const s = await server();
    const execution = snapshot();
    await create(s.url, execution);
    const url = `/api/remote/executions/${execution.id}/batches`;
    await send(s.url, 'POST', url, { lines: lines(1, 3) });
    const gap = await send(s.url, 'POST', url, { lines: lines(6, 8) });
    expect(gap.status).toBe(409);
    expect(gap.body.error).toMatchObject({ code: 'conflict', details: { expectedSeq: 4 } });
    const unordered = await send(s.url, 'POST', url, { lines: [...lines(5, 5), ...lines(4, 4)] });
    expect(unordered.status).toBe(400);
    expect(await storedLines(s, execution.id)).toEqual(['1:line 1', '2:line 2', '3:line 3']);
    expect((await send(s.url, 'POST', url, { lines: lines(4, 8) })).body).toEqual({ lastSeq: 8 });
  });

  it('answers 404 for an unknown execution', async () => {
    const s = await server();
    const reply = await send(s.url, 'POST', `/api/remote/executions/${ulid().toLowerCase()}/batches`, {
      lines: [],
    });
    expect(reply.status).toBe(404);
  });

  it('publishes what it stores on the bus, ends with execution.finished, and never reopens a finished run', async () => {
    const s = await server();
    const events: ExecutionEvent[] = [];
    const execution = snapshot();
    s.stepflow.bus.subscribe((event) => {
      if (isExecutionEvent(event) && event.executionId === execution.id) events.push(event);
    });
    await create(s.url, execution);
    const url = `/api/remote/executions/${execution.id}/batches`;
    const step = {
      id: 1,
      parentId: null,
      name: 'build',
      status: 'running' as const,
      startedAt: execution.startedAt!,
      endedAt: null,
      durationMs: null,
      meta: {},
      implicit: false,
      source: 'stepflow' as const,
      error: null,
      estimatedDurationSeconds: null,
      firstSeq: 1,
    };
    const running = { lines: lines(1, 2).map((l) => ({ ...l, stepId: 1 })), steps: [step] };
    await send(s.url, 'POST', url, running);
    const endedAt = new Date().toISOString();
    const final = {
      lines: lines(3, 3).map((l) => ({ ...l, stepId: 1 })),
      steps: [{ ...step, status: 'succeeded', endedAt, durationMs: 5 }],
      annotations: [
        {
          id: 1,
          stepId: 1,
          seq: 2,
          level: 'warning',
          message: 'slow',
          title: null,
          file: null,
          line: null,
          col: null,
          endLine: null,
          endCol: null,
        },
      ],
      artifacts: [
        {
          id: 1,
          stepId: 1,
          path: 'missing.txt',
          description: '',
          status: 'failed',
          error: 'no such file',
          createdAt: endedAt,
        },
      ],
      samples: [{ ts: 1_700_000_000_500, cpuPercent: 12.5, memoryBytes: 1024, processCount: 2 }],
      execution: { ...execution, status: 'succeeded', exitCode: 0, endedAt, durationMs: 5, lineCount: 3 },
    };
    expect((await send(s.url, 'POST', url, final)).status).toBe(200);
    expect(events.map((e) => e.type)).toEqual([
      'execution.started',
      'step.started',
      'log.lines',
      'log.lines',
      'step.finished',
      'annotation.added',
      'artifact.recorded',
      'resource.sampled',
      'execution.finished',
    ]);

    // A late retry of the first batch changes nothing.
    await send(s.url, 'POST', url, { ...running, execution });
    const stored = await s.stepflow.store.getExecution(execution.id);
    expect(stored).toMatchObject({ status: 'succeeded', exitCode: 0, lineCount: 3 });
    expect(stored?.steps).toMatchObject([{ name: 'build', status: 'succeeded', endedAt }]);
    expect(stored?.annotations).toMatchObject([{ level: 'warning', message: 'slow' }]);
    expect(stored?.artifacts).toMatchObject([
      { path: 'missing.txt', status: 'failed', error: 'no such file' },
    ]);
    expect(await s.stepflow.store.listResourceSamples(execution.id)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'execution.finished')).toHaveLength(1);
  });
});

describe('PUT /api/remote/executions/:id/artifacts/:artifactId', () => {
  const bytes = Buffer.from('model weights\n'.repeat(1000));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const query = (over: Record<string, string> = {}) =>
    new URLSearchParams({
      path: 'out/model.bin',
      description: 'the model',
      size: String(bytes.length),
      sha256,
      createdAt: new Date().toISOString(),
      ...over,
    });
  const put = (
    base: string,
    id: string,
    q: URLSearchParams,
    body: Buffer = bytes,
    type = 'application/octet-stream',
  ) =>
    fetch(`${base}/api/remote/executions/${id}/artifacts/1?${q}`, {
      method: 'PUT',
      headers: { 'content-type': type },
      body,
    });

  it('stores verified bytes, records the artifact and serves them back', async () => {
    const s = await server();
    const execution = snapshot();
    await create(s.url, execution);
    const reply = await put(s.url, execution.id, query());
    expect(reply.status).toBe(201);
    expect(await reply.json()).toEqual({ id: 1, path: 'out/model.bin', size: bytes.length, sha256 });
    // A retried upload replaces the copy.
    expect((await put(s.url, execution.id, query())).status).toBe(201);
    const stored = await s.stepflow.store.getExecution(execution.id);
    expect(stored?.artifacts).toMatchObject([
      { id: 1, path: 'out/model.bin', status: 'stored', kind: 'file', size: bytes.length, sha256 },
    ]);
    const download = await fetch(`${s.url}/api/executions/${execution.id}/artifacts/1`);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('refuses bytes that do not match the declared size or sha256, and records nothing', async () => {
    const s = await server();
    const execution = snapshot();
    await create(s.url, execution);
    const badSum = await put(s.url, execution.id, query({ sha256: 'a'.repeat(64) }));
    expect(badSum.status).toBe(400);
    expect(((await badSum.json()) as Reply['body']).error?.message).toMatch(/sha256/);
    expect((await put(s.url, execution.id, query({ size: String(bytes.length + 1) }))).status).toBe(400);
    expect((await put(s.url, execution.id, query({ size: '10' }))).status).toBe(400);
    expect((await put(s.url, execution.id, query({ size: String(11 * 1024 ** 3) }))).status).toBe(413);
    expect((await put(s.url, execution.id, query(), bytes, 'text/plain')).status).toBe(415);
    expect((await s.stepflow.store.getExecution(execution.id))?.artifacts).toEqual([]);
  });
});

describe('crash recovery of remote executions', () => {
  it('leaves a remote run alone when its owner is alive (the CLI on this host)', async () => {
    const s = await server();
    const alive = snapshot({ owner: currentOwner() });
    const dead = snapshot({ owner: { host: hostname(), pid: 2 ** 22 + 1, startTime: 1 } });
    await create(s.url, alive);
    await create(s.url, dead);
    const recovered = await s.stepflow.store.recoverInterrupted(isOwnerAlive);
    expect(recovered).toEqual([dead.id]);
    expect((await s.stepflow.store.getExecution(alive.id))?.status).toBe('running');
  });
});

describe('remote lease', () => {
  const waitForStatus = async (s: TestServer, id: string, status: string, ms: number): Promise<Execution> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const stored = await s.stepflow.store.getExecution(id);
      if (stored?.status === status || Date.now() > deadline) return stored!;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('marks a run interrupted when its client stops reporting, and reopens it when the client reports again', async () => {
    const s = await server({ STEPFLOW_REMOTE_LEASE_SECONDS: '0.4' });
    const execution = snapshot({ owner: { host: 'elsewhere', pid: 7, startTime: 1 } });
    await create(s.url, execution);
    await send(s.url, 'POST', `/api/remote/executions/${execution.id}/batches`, { lines: lines(1, 2) });

    const lost = await waitForStatus(s, execution.id, 'interrupted', 5000);
    expect(lost.status).toBe('interrupted');
    expect(lost.error).toMatch(/^no report from the remote client for \d+ s/);
    expect(lost.endedAt).not.toBeNull();

    const back = await send(s.url, 'POST', `/api/remote/executions/${execution.id}/batches`, {
      lines: lines(3, 3),
      execution: { ...execution, status: 'running' },
    });
    expect(back.status).toBe(200);
    expect((await s.stepflow.store.getExecution(execution.id))?.status).toBe('running');
    expect(await storedLines(s, execution.id)).toEqual(['1:line 1', '2:line 2', '3:line 3']);
  });

  it('ends an expired run at its last contact, not when the lease ran out', async () => {
    const s = await server({ STEPFLOW_REMOTE_LEASE_SECONDS: '2' });
    const execution = snapshot({ owner: { host: 'elsewhere', pid: 10, startTime: 1 } });
    await create(s.url, execution);
    const before = Date.now();
    await send(s.url, 'POST', `/api/remote/executions/${execution.id}/batches`, { lines: lines(1, 2) });
    const after = Date.now();

    const lost = await waitForStatus(s, execution.id, 'interrupted', 10_000);
    expect(lost.status).toBe('interrupted');
    expect(Date.now() - after).toBeGreaterThanOrEqual(2000);
    const endedAt = Date.parse(lost.endedAt!);
    expect(endedAt).toBeGreaterThanOrEqual(before);
    expect(endedAt).toBeLessThanOrEqual(after);
    expect(lost.durationMs).toBe(endedAt - Date.parse(execution.startedAt!));
  });

  it('keeps a run that reports steadily, or has an upload in progress', async () => {
    const s = await server({ STEPFLOW_REMOTE_LEASE_SECONDS: '0.4' });
    const steady = snapshot({ owner: { host: 'elsewhere', pid: 8, startTime: 1 } });
    const uploading = snapshot({ owner: { host: 'elsewhere', pid: 9, startTime: 1 } });
    await create(s.url, steady);
    await create(s.url, uploading);
    // An upload whose body trickles in for longer than the lease.
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        for (let i = 0; i < 12; i++) {
          controller.enqueue(new Uint8Array([i]));
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        controller.close();
      },
    });
    const bytes = new Uint8Array(Array.from({ length: 12 }, (_, i) => i));
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const query = new URLSearchParams({
      path: 'slow.bin',
      description: 'slow',
      size: '12',
      sha256,
      mediaType: 'application/octet-stream',
      createdAt: new Date().toISOString(),
    });
    const upload = fetch(`${s.url}/api/remote/executions/${uploading.id}/artifacts/1?${query}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit);
    for (let seq = 1; seq <= 12; seq++) {
      await send(s.url, 'POST', `/api/remote/executions/${steady.id}/batches`, { lines: lines(seq, seq) });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await upload).status).toBe(201);
    expect((await s.stepflow.store.getExecution(steady.id))?.status).toBe('running');
    expect((await s.stepflow.store.getExecution(uploading.id))?.status).toBe('running');
  });

  it('refuses a lease that is not a positive number of seconds', async () => {
    await expect(server({ STEPFLOW_REMOTE_LEASE_SECONDS: 'soon' })).rejects.toThrow(
      /STEPFLOW_REMOTE_LEASE_SECONDS must be a number of seconds above 0, got "soon"/,
    );
  });
});
