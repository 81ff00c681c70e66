import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../core/model.js';
import { REMOTE_TAG } from '../core/remote-tag.js';
import { createEventBus } from '../engine/event-bus.js';
import { createStoreWriter, type StoreWriter } from '../engine/store-writer.js';
import type { RemoteExecution } from '../protocol/remote-schemas.js';
import { openSqliteStore, type SqliteStore } from '../store/sqlite/sqlite-store.js';
import type { ExecutionStore } from '../store/store.js';
import { createRemoteRuns } from './remote-runs.js';

// Remote ingest on a real SQLite store, with the real bus and store writer subscribed to it as in
// a server. Commits are counted on the way to the store; nothing is faked.

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function setup(): Promise<{
  remote: ReturnType<typeof createRemoteRuns>;
  writes: () => number;
  store: SqliteStore;
  writer: StoreWriter;
}> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-remote-runs-'));
  dirs.push(dataDir);
  const store = await openSqliteStore({ dataDir });
  let writes = 0;
  const counted: ExecutionStore = Object.create(store) as ExecutionStore;
  counted.write = (batch) => (writes++, store.write(batch));
  const bus = createEventBus();
  const writer = createStoreWriter({ store: counted, flushIntervalMs: 20 });
  const unsubscribe = bus.subscribe(writer.handle);
  closers.push(async () => {
    await writer.close();
    unsubscribe();
    await store.close();
  });
  return { remote: createRemoteRuns({ store: counted, bus, writer }), writes: () => writes, store, writer };
}

const snapshot = (id: string, status: RemoteExecution['status'] = 'running'): RemoteExecution => {
  const now = new Date().toISOString();
  return {
    id,
    name: 'remote job',
    command: 'make test',
    argv: null,
    cwd: '/srv/app',
    tags: {},
    status,
    exitCode: status === 'succeeded' ? 0 : null,
    signal: null,
    error: null,
    createdAt: now,
    startedAt: now,
    endedAt: status === 'succeeded' ? now : null,
    durationMs: status === 'succeeded' ? 1 : null,
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
  };
};

const lines = (from: number, to: number): LogLine[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    seq: from + i,
    ts: 1_700_000_000_000 + from + i,
    stream: 'stdout' as const,
    stepId: null,
    text: `line ${from + i}`,
    flags: 0,
  }));

describe('createRemoteRuns', () => {
  it('commits each report once (not again through the store writer), and a resent batch stores nothing twice', async () => {
    const { remote, writes, store, writer } = await setup();
    const id = '01jremoteonce000000000000a';
    await remote.create(snapshot(id));
    for (let i = 0; i < 5; i++) await remote.applyBatch(id, { lines: lines(i * 10 + 1, i * 10 + 10) });
    await remote.applyBatch(id, { lines: lines(41, 50) }); // a client's retry: nothing new
    await remote.applyBatch(id, { execution: snapshot(id, 'succeeded'), lines: [] });
    // Whatever the writer still held would be committed now.
    await writer.flush();
    await new Promise((resolve) => setTimeout(resolve, 60));
    await writer.flush();

    // One create, five batches, the retry, the end: one commit each.
    expect(writes()).toBe(8);
    const stored = await store.getExecution(id);
    expect(stored).toMatchObject({
      status: 'succeeded',
      lineCount: 50,
      tags: { [REMOTE_TAG]: 'build-host-7' },
    });
    const log = await store.readLog(id, { limit: 100 });
    expect(log.lines.map((line) => line.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });
});
