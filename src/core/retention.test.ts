import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXECUTION_STATUSES, isTerminalExecutionStatus } from './statuses.js';
import {
  checkRetentionPolicy,
  retentionGroup,
  retentionVerdict,
  type RetentionCandidate,
  type RetentionPolicy,
} from './retention.js';

const DAY = 86_400_000;
const NOW = Date.parse('2025-06-01T00:00:00.000Z');
const endedDaysAgo = (days: number): string => new Date(NOW - days * DAY).toISOString();

const run = (over: Partial<RetentionCandidate> = {}): RetentionCandidate => ({
  status: 'succeeded',
  endedAt: endedDaysAgo(10),
  pinned: false,
  logExpired: false,
  hasStoredArtifacts: true,
  rank: 1,
  ...over,
});

describe('retentionVerdict', () => {
  it.each<[string, Partial<RetentionCandidate>, RetentionPolicy, ReturnType<typeof retentionVerdict>]>([
    ['no policy keeps everything', { endedAt: endedDaysAgo(10_000), rank: 999 }, {}, { action: 'keep' }],
    ['older than days: deleted', {}, { days: 7 }, { action: 'delete' }],
    ['younger than days: kept', {}, { days: 30 }, { action: 'keep' }],
    ['exactly days old: deleted', { endedAt: endedDaysAgo(7) }, { days: 7 }, { action: 'delete' }],
    [
      'beyond keepLast: deleted, however young',
      { endedAt: endedDaysAgo(0), rank: 4 },
      { keepLast: 3 },
      { action: 'delete' },
    ],
    ['within keepLast: kept', { rank: 3 }, { keepLast: 3 }, { action: 'keep' }],
    [
      'within keepLast but older than days: deleted (each limit caps)',
      { rank: 1 },
      { keepLast: 3, days: 7 },
      { action: 'delete' },
    ],
    ['log only', {}, { logDays: 7 }, { action: 'drop', logs: true, artifacts: false }],
    ['artifacts only', {}, { artifactDays: 7 }, { action: 'drop', logs: false, artifacts: true }],
    ['both bytes', {}, { logDays: 7, artifactDays: 1 }, { action: 'drop', logs: true, artifacts: true }],
    ['log already dropped: nothing to do', { logExpired: true }, { logDays: 7 }, { action: 'keep' }],
    [
      'no artifacts left: nothing to do',
      { hasStoredArtifacts: false },
      { artifactDays: 7 },
      { action: 'keep' },
    ],
    [
      'pinned: kept whatever the policy',
      { pinned: true, rank: 50 },
      { days: 1, keepLast: 1, logDays: 1 },
      { action: 'keep' },
    ],
    [
      'running: kept',
      { status: 'running', endedAt: null, rank: 9 },
      { days: 1, keepLast: 1 },
      { action: 'keep' },
    ],
    ['queued with an endedAt (never): kept', { status: 'queued' }, { days: 1 }, { action: 'keep' }],
    [
      'failed younger than failedDays: kept whole',
      { status: 'failed', rank: 9 },
      { days: 7, keepLast: 1, logDays: 1, failedDays: 30 },
      { action: 'keep' },
    ],
    [
      'failed older than failedDays: the other limits apply',
      { status: 'timed_out', endedAt: endedDaysAgo(31) },
      { days: 7, failedDays: 30 },
      { action: 'delete' },
    ],
    [
      'failedDays never makes a limit',
      { status: 'failed', endedAt: endedDaysAgo(100) },
      { failedDays: 30 },
      { action: 'keep' },
    ],
    ['failedDays does not shield a success', {}, { days: 7, failedDays: 30 }, { action: 'delete' }],
    [
      'cancelled is not a failure',
      { status: 'cancelled' },
      { days: 7, failedDays: 30 },
      { action: 'delete' },
    ],
  ])('%s', (_name, over, policy, expected) => {
    expect(retentionVerdict(run(over), policy, NOW)).toEqual(expected);
  });
});

const policyArb: fc.Arbitrary<RetentionPolicy> = fc.record(
  {
    days: fc.integer({ min: 1, max: 60 }),
    keepLast: fc.integer({ min: 1, max: 10 }),
    logDays: fc.integer({ min: 1, max: 60 }),
    artifactDays: fc.integer({ min: 1, max: 60 }),
    failedDays: fc.integer({ min: 1, max: 60 }),
  },
  { requiredKeys: [] },
);

const candidateArb: fc.Arbitrary<RetentionCandidate> = fc.record({
  status: fc.constantFrom(...EXECUTION_STATUSES),
  endedAt: fc.option(
    fc.integer({ min: 0, max: 120 }).map((days) => endedDaysAgo(days)),
    { nil: null },
  ),
  pinned: fc.boolean(),
  logExpired: fc.boolean(),
  hasStoredArtifacts: fc.boolean(),
  rank: fc.integer({ min: 1, max: 30 }),
});

describe('retentionVerdict properties', () => {
  it('never touches a pinned run or one that has not ended', () => {
    fc.assert(
      fc.property(candidateArb, policyArb, (candidate, policy) => {
        if (candidate.pinned || !isTerminalExecutionStatus(candidate.status) || candidate.endedAt === null) {
          expect(retentionVerdict(candidate, policy, NOW)).toEqual({ action: 'keep' });
        }
      }),
    );
  });

  it('keepLast alone keeps exactly the N newest ended, unpinned runs of each group', () => {
    const runArb = fc.record({
      group: fc.constantFrom('a', 'b', 'c'),
      status: fc.constantFrom(...EXECUTION_STATUSES),
      pinned: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(runArb, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), (runs, keepLast) => {
        // Newest first, ranked as the sweep ranks them: only ended, unpinned runs take a place.
        const seen = new Map<string, number>();
        const verdicts = runs.map((r) => {
          const ended = isTerminalExecutionStatus(r.status);
          const counts = ended && !r.pinned;
          const rank = counts ? (seen.get(r.group) ?? 0) + 1 : 0;
          if (counts) seen.set(r.group, rank);
          const verdict = retentionVerdict(
            run({ status: r.status, endedAt: ended ? endedDaysAgo(1) : null, pinned: r.pinned, rank }),
            { keepLast },
            NOW,
          );
          return { ...r, ended, verdict };
        });
        for (const group of ['a', 'b', 'c']) {
          const ofGroup = verdicts.filter((v) => v.group === group);
          const eligible = ofGroup.filter((v) => v.ended && !v.pinned);
          const kept = eligible.filter((v) => v.verdict.action === 'keep');
          expect(kept).toEqual(eligible.slice(0, keepLast));
          // Everything else of the group (pinned, open) is kept too.
          for (const v of ofGroup.filter((v) => !v.ended || v.pinned)) expect(v.verdict.action).toBe('keep');
        }
      }),
    );
  });

  it('a failed run younger than failedDays is never touched', () => {
    fc.assert(
      fc.property(candidateArb, policyArb, (candidate, policy) => {
        if (policy.failedDays === undefined || candidate.endedAt === null) return;
        const age = (NOW - Date.parse(candidate.endedAt)) / DAY;
        if (
          ['failed', 'timed_out', 'interrupted', 'lost'].includes(candidate.status) &&
          age < policy.failedDays
        ) {
          expect(retentionVerdict(candidate, policy, NOW)).toEqual({ action: 'keep' });
        }
      }),
    );
  });
});

describe('retentionGroup', () => {
  it('groups by job, else by name', () => {
    expect(retentionGroup({ jobId: 'j1', name: 'x' })).toBe(retentionGroup({ jobId: 'j1', name: 'y' }));
    expect(retentionGroup({ jobId: null, name: 'x' })).not.toBe(retentionGroup({ jobId: null, name: 'y' }));
    expect(retentionGroup({ jobId: null, name: 'j1' })).not.toBe(retentionGroup({ jobId: 'j1', name: 'j1' }));
  });
});

describe('checkRetentionPolicy', () => {
  const name = (limit: string): string => `body.retention.${limit}`;
  it('accepts days as decimals and keepLast as an integer', () => {
    expect(checkRetentionPolicy({ days: 0.5, keepLast: 3 }, name)).toEqual({ days: 0.5, keepLast: 3 });
  });
  it.each<[RetentionPolicy, string]>([
    [{ days: 0 }, 'body.retention.days must be a number of days above 0'],
    [{ logDays: -1 }, 'body.retention.logDays must be'],
    [{ keepLast: 1.5 }, 'body.retention.keepLast must be an integer of at least 1'],
    [{ keepLast: 0 }, 'body.retention.keepLast must be an integer'],
    [{ artifactDays: Number.POSITIVE_INFINITY }, 'body.retention.artifactDays must be'],
    [{ keep_last: 5 } as RetentionPolicy, 'body.retention.keep_last: unknown field'],
  ])('refuses %j', (policy, message) => {
    expect(() => checkRetentionPolicy(policy, name)).toThrow(message);
  });
});
