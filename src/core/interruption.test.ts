import { describe, expect, it } from 'vitest';
import { findOrphans, interruptedEnd, interruptionOf, leaseExpiredError } from './interruption.js';
import type { ExecutionOwner } from './model.js';

const owner = (pid: number): ExecutionOwner => ({ host: 'build-1', pid, startTime: 1000 + pid });
const ms = (iso: string): number => Date.parse(iso);

describe('which open executions are orphans', () => {
  it('those whose owner is dead or unknown, asking about each owner once', () => {
    const asked: number[] = [];
    const open = [
      { id: 'a', startedAt: null, owner: owner(1) },
      { id: 'b', startedAt: null, owner: owner(2) },
      { id: 'c', startedAt: null, owner: owner(1) },
      { id: 'd', startedAt: null, owner: null },
    ];
    const orphans = findOrphans(open, (o) => {
      asked.push(o.pid);
      return o.pid === 2;
    });
    expect(asked).toEqual([1, 2]);
    expect(orphans).toEqual([
      { execution: open[0], error: 'the process running it died (pid 1 on host build-1)' },
      { execution: open[2], error: 'the process running it died (pid 1 on host build-1)' },
      { execution: open[3], error: 'the process running it died (owner unknown)' },
    ]);
  });

  it('none when every owner lives', () => {
    expect(findOrphans([{ id: 'a', startedAt: null, owner: owner(1) }], () => true)).toEqual([]);
  });
});

describe('when an interrupted run ended', () => {
  const startedAt = '2026-01-01T01:00:00.000Z';

  it('at its last sign of life, not when the crash was noticed', () => {
    expect(
      interruptedEnd({
        startedAt,
        lastSignOfLifeMs: ms('2026-01-01T02:00:00.000Z'),
        nowMs: ms('2026-01-01T09:00:00.000Z'),
      }),
    ).toEqual({ endedAt: '2026-01-01T02:00:00.000Z', durationMs: 3_600_000 });
  });

  it('at the latest now (a clock that ran ahead), and now when nothing is known', () => {
    const nowMs = ms('2026-01-01T03:00:00.000Z');
    expect(interruptedEnd({ startedAt, lastSignOfLifeMs: ms('2026-01-01T05:00:00.000Z'), nowMs })).toEqual({
      endedAt: '2026-01-01T03:00:00.000Z',
      durationMs: 7_200_000,
    });
    expect(interruptedEnd({ startedAt: null, lastSignOfLifeMs: null, nowMs })).toEqual({
      endedAt: '2026-01-01T03:00:00.000Z',
      durationMs: null,
    });
  });

  it('never before it started (a duration is never negative)', () => {
    expect(
      interruptedEnd({ startedAt, lastSignOfLifeMs: ms('2026-01-01T00:59:00.000Z'), nowMs: Date.now() })
        .durationMs,
    ).toBe(0);
  });
});

describe('what an orphan becomes', () => {
  it('interrupted, its running steps cancelled and a step failed by STEP_ERROR kept failed, all closed at its end', () => {
    const decided = interruptionOf({
      execution: { startedAt: '2026-01-01T01:00:00.000Z' },
      error: 'the process running it died (owner unknown)',
      lastSignOfLifeMs: ms('2026-01-01T01:10:00.000Z'),
      nowMs: ms('2026-01-01T09:00:00.000Z'),
      openSteps: [
        { id: 1, status: 'running', startedAt: '2026-01-01T01:00:00.000Z' },
        { id: 2, status: 'failed', startedAt: '2026-01-01T01:05:00.000Z' },
        { id: 3, status: 'running', startedAt: '2026-01-01T01:09:00.000Z' },
      ],
    });
    expect(decided).toEqual({
      status: 'interrupted',
      endedAt: '2026-01-01T01:10:00.000Z',
      durationMs: 600_000,
      error: 'the process running it died (owner unknown)',
      steps: [
        { id: 1, status: 'cancelled', endedAt: '2026-01-01T01:10:00.000Z', durationMs: 600_000 },
        { id: 2, status: 'failed', endedAt: '2026-01-01T01:10:00.000Z', durationMs: 300_000 },
        { id: 3, status: 'cancelled', endedAt: '2026-01-01T01:10:00.000Z', durationMs: 60_000 },
      ],
    });
  });
});

describe('a remote run whose lease expired', () => {
  it('says for how long its client was silent and that a later report reopens it', () => {
    expect(leaseExpiredError(90_400)).toBe(
      'no report from the remote client for 90 s: it stopped or lost the server (a later report reopens the run)',
    );
  });
});
