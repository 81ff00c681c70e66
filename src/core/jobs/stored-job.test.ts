import { describe, expect, it } from 'vitest';
import { jobFromStored, type StoredJob } from './stored-job.js';

const stored = (overrides: Partial<StoredJob> = {}): StoredJob => ({
  id: 'j1',
  name: 'backup',
  enabled: true,
  lateByP95: false,
  definition: {
    command: './backup.sh',
    argv: null,
    cwd: '/srv',
    env: { A: '1' },
    tags: {},
    timeoutSeconds: null,
    retry: { maxAttempts: 3, delaySeconds: 10, backoffFactor: 2, maxDelaySeconds: 600, onExitCodes: null },
    overlap: 'skip',
    maxConcurrentRuns: null,
    missedFire: 'skip',
    lateAfterSeconds: null,
    webhooks: [],
  },
  triggers: [{ id: 't1', spec: { kind: 'interval', intervalSeconds: 60 }, anchorMs: 1000, nextFireMs: null }],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

describe('jobFromStored', () => {
  it('reads back a job as it was written', () => {
    expect(jobFromStored(stored())).toMatchObject({
      id: 'j1',
      command: './backup.sh',
      env: { A: '1' },
      retry: { maxAttempts: 3 },
      triggers: [{ id: 't1', kind: 'interval', intervalSeconds: 60, anchorMs: 1000, nextFireMs: null }],
    });
  });

  it.each([
    [
      'an interval an older version let through',
      {
        triggers: [
          { id: 't1', spec: { kind: 'interval', intervalSeconds: 8e12 }, anchorMs: 0, nextFireMs: null },
        ],
      },
      /triggers\.0\.intervalSeconds/,
    ],
    ['a definition that is no object', { definition: 'x' }, /definition is not an object/],
    [
      'a missing cwd',
      { definition: { ...(stored().definition as object), cwd: undefined } },
      /cwd is missing/,
    ],
    [
      'a retry out of range',
      { definition: { ...(stored().definition as object), retry: { maxAttempts: 1000 } } },
      /retry\.maxAttempts/,
    ],
    [
      'an anchor that is no number',
      {
        triggers: [
          { id: 't1', spec: { kind: 'interval', intervalSeconds: 60 }, anchorMs: 'x', nextFireMs: null },
        ],
      },
      /anchorMs/,
    ],
  ] as [string, Partial<StoredJob>, RegExp][])('refuses %s, saying why', (_what, overrides, reason) => {
    expect(() => jobFromStored(stored(overrides))).toThrow(reason);
  });
});
