import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionEvent } from '../../core/events.js';
import type { Execution, LogLine, Step } from '../../core/model.js';
import { openSqliteStore, type SqliteStore } from '../../store/sqlite/sqlite-store.js';
import { createStoreTail, type StoreTail, type TailStore } from './store-tail.js';

// Two real connections to one SQLite file: `other` plays the process that runs the execution,
// `mine` the server's own connection, which the tail reads through (its change marker moves only
// when `other` commits). Reads are counted on the way through; nothing is faked.

const dirs: string[] = [];
const stores: SqliteStore[] = [];
const tails: StoreTail[] = [];
afterEach(async () => {
  for (const tail of tails.splice(0)) tail.close();
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

type Counts = Record<keyof TailStore, number>;

/** The real store, counting the calls the tail makes. */
function counted(store: SqliteStore): { store: TailStore; counts: Counts } {
  const counts: Counts = { changeMarker: 0, getExecution: 0, readLog: 0, listExecutions: 0 };
  return {
    counts,
    store: {
      changeMarker: () => (counts.changeMarker++, store.changeMarker()),
      getExecution: (id) => (counts.getExecution++, store.getExecution(id)),
      readLog: (id, query) => (counts.readLog++, store.readLog(id, query)),
      listExecutions: (query) => (counts.listExecutions++, store.listExecutions(query)),
    },
  };
}

async function setup(options: { local?: (id: string) => boolean } = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-store-tail-'));
  dirs.push(dataDir);
  const mine = await openSqliteStore({ dataDir });
  const other = await openSqliteStore({ dataDir });
  stores.push(mine, other);
  const { store, counts } = counted(mine);
  const events: ExecutionEvent[] = [];
  const errors: unknown[] = [];
  const tail = createStoreTail({
    store,
    isLocal: (id) => options.local?.(id) ?? false,
    emit: (event) => events.push(event),
    pollMs: 10,
    onError: (error) => errors.push(error),
  });
  tails.push(tail);
  return { tail, counts, events, errors, other };
}

const line = (seq: number, stepId: number | null = null): LogLine => ({
  seq,
  ts: 1_700_000_000_000 + seq,
  stream: 'stdout',
  stepId,
  text: `line ${seq}`,
  flags: 0,
});
const lines = (from: number, to: number, stepId: number | null = null): LogLine[] =>
  Array.from({ length: to - from + 1 }, (_, i) => line(from + i, stepId));

const step = (status: Step['status']): Step => ({
  id: 1,
  parentId: null,
  name: 'build',
  status,
  startedAt: '2024-01-01T00:00:00.000Z',
  endedAt: status === 'running' ? null : '2024-01-01T00:00:05.000Z',
  durationMs: status === 'running' ? null : 5000,
  meta: {},
  implicit: false,
  source: 'stepflow',
  error: null,
  estimatedDurationSeconds: null,
  firstSeq: 1,
  hasSummary: false,
});

function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) return resolve();
      if (Date.now() > deadline) return reject(new Error(`not within ${timeoutMs} ms`));
      setTimeout(check, 5);
    };
    check();
  });
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function running(other: SqliteStore, name = 'elsewhere'): Promise<Execution> {
  return other.createExecution({
    spec: { name, command: name, cwd: '/' },
    status: 'running',
    owner: { host: 'elsewhere', pid: 1, startTime: 1 },
  });
}

describe('createStoreTail, following one execution', () => {
  it('reads nothing but the change marker while no other connection commits', async () => {
    const { tail, counts, events, other } = await setup();
    const execution = await running(other);
    await other.write({ lines: [{ executionId: execution.id, lines: lines(1, 3) }] });
    await tail.follow(execution.id).ready;
    const before = { ...counts };

    await until(() => counts.changeMarker >= before.changeMarker + 5);
    expect(counts.getExecution).toBe(before.getExecution);
    expect(counts.readLog).toBe(before.readLog);
    expect(counts.listExecutions).toBe(0);
    // The starting point is not news: a subscriber reads it from the store.
    expect(events).toEqual([]);
  });

  it('sends the lines after the last seq delivered, with steps before them, exactly once', async () => {
    const { tail, events, other } = await setup();
    const execution = await running(other);
    await other.write({ lines: [{ executionId: execution.id, lines: lines(1, 2) }] });
    await tail.follow(execution.id).ready;

    await other.write({
      steps: [{ executionId: execution.id, step: step('running') }],
      lines: [{ executionId: execution.id, lines: lines(3, 5, 1) }],
    });
    await until(() => events.some((e) => e.type === 'log.lines'));
    await other.write({ lines: [{ executionId: execution.id, lines: lines(6, 9, 1) }] });
    await until(() => seqs(events).at(-1) === 9);
    await sleep(50);

    expect(events.map((e) => e.type)).toEqual(['step.started', 'log.lines', 'log.lines']);
    expect(seqs(events)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(events[0]).toMatchObject({
      executionId: execution.id,
      step: { name: 'build', status: 'running' },
    });
  });

  it('delivers the end after the last line, then stops reading, though still followed', async () => {
    const { tail, counts, events, other } = await setup();
    const execution = await running(other);
    await tail.follow(execution.id).ready;
    await other.write({
      steps: [{ executionId: execution.id, step: step('running') }],
      lines: [{ executionId: execution.id, lines: lines(1, 4, 1) }],
    });
    await until(() => seqs(events).length === 4);
    // The last batch of a run: its last lines, its step closed and its final state, together.
    const ended: Execution = {
      ...execution,
      status: 'succeeded',
      exitCode: 0,
      endedAt: '2024-01-01T00:00:06.000Z',
      lineCount: 6,
    };
    await other.write({
      executions: [ended],
      steps: [{ executionId: execution.id, step: step('succeeded') }],
      lines: [{ executionId: execution.id, lines: lines(5, 6, 1) }],
    });
    await until(() => events.some((e) => e.type === 'execution.finished'));
    expect(events.slice(-3).map((e) => e.type)).toEqual(['step.finished', 'log.lines', 'execution.finished']);
    expect(seqs(events)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.at(-1)).toMatchObject({ execution: { status: 'succeeded', exitCode: 0 } });

    // Ended and delivered: nothing left to poll for.
    await sleep(30);
    const marks = counts.changeMarker;
    await sleep(100);
    expect(counts.changeMarker).toBe(marks);
    const delivered = events.length;
    await other.write({ executions: [{ ...ended, meta: { late: 'yes' } }] });
    await sleep(100);
    expect(events.length).toBe(delivered);
  });

  it('never reads an execution this process delivers itself', async () => {
    const { tail, counts, events, other } = await setup({ local: () => true });
    const execution = await running(other);
    await tail.follow(execution.id).ready;
    await other.write({ lines: [{ executionId: execution.id, lines: lines(1, 3) }] });
    await sleep(100);
    expect(counts.getExecution + counts.readLog).toBe(0);
    expect(events).toEqual([]);
  });

  it('stops polling when the last follower lets go', async () => {
    const { tail, counts, other } = await setup();
    const execution = await running(other);
    const interest = tail.follow(execution.id);
    await interest.ready;
    await until(() => counts.changeMarker >= 3);
    interest.release();
    await sleep(30);
    const marks = counts.changeMarker;
    await sleep(100);
    expect(counts.changeMarker).toBe(marks);
  });
});

describe('createStoreTail, watching the list of executions', () => {
  it('knows what runs elsewhere when ready, then reports runs appearing, changing and ending', async () => {
    const { tail, events, other } = await setup();
    const before = await running(other, 'before');
    const interest = tail.watchExecutions();
    await interest.ready;
    expect(tail.activeElsewhere().map((e) => e.id)).toEqual([before.id]);
    expect(events).toEqual([]);

    const next = await running(other, 'next');
    await until(() => events.length >= 1);
    expect(events).toEqual([{ type: 'execution.started', executionId: next.id, execution: next }]);
    await other.write({
      executions: [{ ...before, status: 'failed', exitCode: 2, endedAt: '2024-01-01T00:00:09.000Z' }],
    });
    await until(() => events.length >= 2);
    expect(events[1]).toMatchObject({
      type: 'execution.finished',
      executionId: before.id,
      execution: { status: 'failed', exitCode: 2 },
    });
    expect(tail.activeElsewhere().map((e) => e.id)).toEqual([next.id]);

    // A run that started and ended between two reads is still reported (as ended).
    const quick = await running(other, 'quick');
    await other.write({
      executions: [{ ...quick, status: 'succeeded', exitCode: 0, endedAt: '2024-01-01T00:00:01.000Z' }],
    });
    await until(() => events.some((e) => e.executionId === quick.id));
    expect(events.filter((e) => e.executionId === quick.id).map((e) => e.type)).toEqual([
      'execution.finished',
    ]);
    interest.release();
    expect(tail.activeElsewhere()).toEqual([]);
  });
});

function seqs(events: ExecutionEvent[]): number[] {
  return events.flatMap((e) => (e.type === 'log.lines' ? e.lines.map((l) => l.seq) : []));
}
