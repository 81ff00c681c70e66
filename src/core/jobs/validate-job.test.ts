import { describe, expect, it } from 'vitest';
import type { JobCommand } from './job.js';
import { validateJob, type JobInput } from './validate-job.js';

const command: JobCommand = {
  command: './backup.sh',
  argv: null,
  cwd: '/srv',
  env: {},
  tags: {},
  timeoutSeconds: null,
};
const job = (overrides: Partial<JobInput>): JobInput => ({
  name: 'backup',
  triggers: [{ intervalSeconds: 60 }],
  ...overrides,
});

function errorOf(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a validation error');
}

describe('validateJob', () => {
  it('fills the defaults', () => {
    const valid = validateJob(job({ triggers: [{ cron: '0 3 * * *', timezone: 'Asia/Shanghai' }] }), command);
    expect(valid).toMatchObject({
      name: 'backup',
      enabled: true,
      overlap: 'skip',
      missedFire: 'skip',
      maxConcurrentRuns: null,
      lateAfterSeconds: null,
      lateByP95: false,
      retry: { maxAttempts: 1 },
      triggers: [{ kind: 'cron', cron: '0 3 * * *', timezone: 'Asia/Shanghai' }],
    });
  });

  it.each([
    [{ triggers: [{ cron: '61 * * * *', timezone: 'UTC' }] }, 'body.triggers.0.cron'],
    [{ triggers: [{ cron: '* * *' }] }, 'body.triggers.0.cron'],
    [{ triggers: [{ cron: '* * * * *', timezone: 'Mars/Olympus' }] }, 'body.triggers.0.timezone'],
    [{ triggers: [{ intervalSeconds: 60 }, { intervalSeconds: 0.5 }] }, 'body.triggers.1.intervalSeconds'],
    [{ triggers: [{ at: 'tomorrow' }] }, 'body.triggers.0.at'],
    [{ triggers: [{ at: '2020-01-01T00:00:00Z' }] }, 'body.triggers.0.at'],
    [{ triggers: [{ intervalSeconds: 5, at: '2030-01-01T00:00:00Z' }] }, 'body.triggers.0'],
    [{ overlap: 'sometimes' }, 'body.overlap'],
    [{ lateByP95: 'yes' as unknown as boolean }, 'body.lateByP95'],
    [{ retry: { maxAttempts: 0 } }, 'body.retry.maxAttempts'],
    [{ webhooks: [{ url: 'ftp://x' }] }, 'body.webhooks.0.url'],
    [{ webhooks: [{ url: 'http://x', events: ['always'] }] }, 'body.webhooks.0.events.0'],
  ] as [Partial<JobInput>, string][])('rejects %j naming %s', (overrides, field) => {
    const error = errorOf(() =>
      validateJob(job(overrides), command, { notBeforeMs: Date.parse('2026-01-01T00:00:00Z') }),
    );
    expect(error.code).toBe('validation_failed');
    expect(error.message.startsWith(field)).toBe(true);
  });
});
