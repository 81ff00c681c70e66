import { describe, expect, it } from 'vitest';
import { formatElapsed } from '../../web/src/format.js';

describe('formatElapsed (the resource chart’s time axis)', () => {
  it('reads seconds, then minutes and seconds, then hours and minutes, dropping zero parts', () => {
    expect([0, 1, 45, 60, 90, 599, 3600, 5400, 7230].map(formatElapsed)).toEqual([
      '0s',
      '1s',
      '45s',
      '1m',
      '1m30s',
      '9m59s',
      '1h',
      '1h30m',
      '2h',
    ]);
  });

  it('rounds fractional ticks to whole seconds', () => {
    expect(formatElapsed(1.6)).toBe('2s');
    expect(formatElapsed(59.6)).toBe('1m');
  });
});
