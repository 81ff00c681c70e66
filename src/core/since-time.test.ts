import { describe, expect, it } from 'vitest';
import { parseSince } from './since-time.js';

describe('parseSince', () => {
  const now = new Date('2024-05-10T12:00:00.000Z');

  it('takes an age before now in minutes, hours, days or weeks', () => {
    expect(parseSince('30m', now)).toBe('2024-05-10T11:30:00.000Z');
    expect(parseSince('24h', now)).toBe('2024-05-09T12:00:00.000Z');
    expect(parseSince('7d', now)).toBe('2024-05-03T12:00:00.000Z');
    expect(parseSince('2w', now)).toBe('2024-04-26T12:00:00.000Z');
  });

  it('takes strict ISO 8601, a date alone meaning its midnight UTC', () => {
    expect(parseSince('2024-05-01', now)).toBe('2024-05-01T00:00:00.000Z');
    expect(parseSince('2024-05-01T08:00:00+02:00', now)).toBe('2024-05-01T06:00:00.000Z');
  });

  it('refuses anything else, naming the field', () => {
    for (const value of ['yesterday', '7', '7 d', '-1d', '1y', 'March 7', '']) {
      expect(() => parseSince(value, now, 'since')).toThrow(/since must be an ISO 8601 date-time/);
    }
  });
});
