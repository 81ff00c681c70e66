import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireTimesBetween, nextFireTime, nextFireTimes, type TimedTrigger } from './triggers.js';

const ms = (iso: string) => Date.parse(iso);
const isoList = (times: number[]) => times.map((t) => new Date(t).toISOString());
const cron = (expression: string, timezone = 'UTC'): TimedTrigger => ({
  kind: 'cron',
  cron: expression,
  timezone,
  anchorMs: 0,
});

describe('cron triggers', () => {
  // Fake time proves the arithmetic never reads the wall clock: every answer comes from `afterMs`.
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('1999-01-01T00:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('fires a daily 5-field expression at 03:00 in Asia/Shanghai (19:00 UTC the day before)', () => {
    expect(isoList(nextFireTimes(cron('0 3 * * *', 'Asia/Shanghai'), ms('2026-01-01T19:00:00Z'), 3))).toEqual(
      ['2026-01-02T19:00:00.000Z', '2026-01-03T19:00:00.000Z', '2026-01-04T19:00:00.000Z'],
    );
  });

  it('takes a 6-field expression with seconds, strictly after the given instant', () => {
    const every = cron('*/1 * * * * *');
    expect(isoList(nextFireTimes(every, ms('2026-01-01T00:00:00.000Z'), 2))).toEqual([
      '2026-01-01T00:00:01.000Z',
      '2026-01-01T00:00:02.000Z',
    ]);
    expect(isoList(nextFireTimes(every, ms('2026-01-01T00:00:00.400Z'), 1))).toEqual([
      '2026-01-01T00:00:01.000Z',
    ]);
  });

  it('America/New_York spring forward: 02:30 does not exist on 2026-03-08 and runs at 03:00 EDT', () => {
    expect(
      isoList(nextFireTimes(cron('30 2 * * *', 'America/New_York'), ms('2026-03-07T12:00:00Z'), 3)),
    ).toEqual(['2026-03-08T07:00:00.000Z', '2026-03-09T06:30:00.000Z', '2026-03-10T06:30:00.000Z']);
  });

  it('America/New_York fall back: a fixed 01:30 runs once on 2026-11-01, though 01:30 happens twice', () => {
    expect(
      isoList(nextFireTimes(cron('30 1 * * *', 'America/New_York'), ms('2026-10-31T12:00:00Z'), 2)),
    ).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  it('America/New_York fall back: an every-30-minutes expression runs in both 01:00 hours', () => {
    expect(
      isoList(nextFireTimes(cron('*/30 1 * * *', 'America/New_York'), ms('2026-11-01T04:00:00Z'), 4)),
    ).toEqual([
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T06:30:00.000Z',
    ]);
  });

  it('Europe/Berlin: 09:00 local is 08:00 UTC in winter and 07:00 UTC after 2026-03-29', () => {
    expect(isoList(nextFireTimes(cron('0 9 * * *', 'Europe/Berlin'), ms('2026-03-27T12:00:00Z'), 3))).toEqual(
      ['2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z', '2026-03-30T07:00:00.000Z'],
    );
  });

  it('an expression that never matches (February 30th) has no next fire', () => {
    expect(nextFireTime(cron('0 0 30 2 *'), ms('2026-01-01T00:00:00Z'))).toBeNull();
  });
});

describe('interval triggers', () => {
  const every = (seconds: number, anchor: string): TimedTrigger => ({
    kind: 'interval',
    intervalSeconds: seconds,
    anchorMs: ms(anchor),
  });

  it('fires on a grid counted from the anchor, first one interval after it', () => {
    const trigger = every(90, '2026-01-01T00:00:00Z');
    expect(isoList(nextFireTimes(trigger, ms('2026-01-01T00:00:00Z'), 2))).toEqual([
      '2026-01-01T00:01:30.000Z',
      '2026-01-01T00:03:00.000Z',
    ]);
    // A late look (restart, slow timer) lands back on the grid instead of drifting.
    expect(isoList(nextFireTimes(trigger, ms('2026-01-01T00:02:59.999Z'), 1))).toEqual([
      '2026-01-01T00:03:00.000Z',
    ]);
    expect(isoList(nextFireTimes(trigger, ms('2026-01-01T00:03:00.000Z'), 1))).toEqual([
      '2026-01-01T00:04:30.000Z',
    ]);
  });

  it('lists the fire times inside a window (what a down server missed)', () => {
    const trigger = every(1, '2026-01-01T00:00:00Z');
    expect(
      isoList(fireTimesBetween(trigger, ms('2026-01-01T00:00:05Z'), ms('2026-01-01T00:00:07.5Z'))),
    ).toEqual(['2026-01-01T00:00:05.000Z', '2026-01-01T00:00:06.000Z', '2026-01-01T00:00:07.000Z']);
    expect(
      fireTimesBetween(trigger, ms('2026-01-01T00:00:00Z'), ms('2026-02-01T00:00:00Z'), { limit: 10 }),
    ).toHaveLength(10);
  });
});

describe('one-off triggers', () => {
  const once = (at: string): TimedTrigger => ({ kind: 'once', at, anchorMs: 0 });

  it('fires once when the date is in the future', () => {
    expect(isoList(nextFireTimes(once('2030-05-01T03:00:00.000Z'), ms('2026-01-01T00:00:00Z'), 5))).toEqual([
      '2030-05-01T03:00:00.000Z',
    ]);
  });

  it('never fires when the date is in the past (or now)', () => {
    expect(nextFireTime(once('2020-05-01T03:00:00.000Z'), ms('2026-01-01T00:00:00Z'))).toBeNull();
    expect(nextFireTime(once('2026-01-01T00:00:00.000Z'), ms('2026-01-01T00:00:00Z'))).toBeNull();
  });
});
