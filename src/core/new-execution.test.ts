import { describe, expect, it } from 'vitest';
import { decodeTime } from 'ulid';
import { createExecutionIdFactory } from './execution-ids.js';
import { newExecution, type NewExecution } from './new-execution.js';

const NOW = new Date('2026-03-01T10:00:00.000Z');
const make = (input: NewExecution) =>
  newExecution(input, { nextId: createExecutionIdFactory(), now: () => NOW });

describe('a new execution', () => {
  it('is named after its spec, else after its command line (argv joined)', () => {
    expect(make({ spec: { name: 'deploy', command: './deploy.sh', cwd: '/srv' } }).name).toBe('deploy');
    expect(make({ spec: { name: '', command: './deploy.sh --fast', cwd: '/srv' } }).name).toBe(
      './deploy.sh --fast',
    );
    const fromArgv = make({ spec: { argv: ['python3', '-c', 'print(1)'], cwd: '/srv' } });
    expect(fromArgv).toMatchObject({
      name: 'python3 -c print(1)',
      command: 'python3 -c print(1)',
      argv: ['python3', '-c', 'print(1)'],
    });
  });

  it('starts queued with empty results, or running since its creation', () => {
    const queued = make({ spec: { command: 'x', cwd: '/', timeoutSeconds: 0, tags: { a: '1' } } });
    expect(queued).toEqual({
      id: expect.stringMatching(/^[0-9a-z]{26}$/),
      name: 'x',
      command: 'x',
      argv: null,
      cwd: '/',
      tags: { a: '1' },
      status: 'queued',
      exitCode: null,
      signal: null,
      error: null,
      createdAt: NOW.toISOString(),
      startedAt: null,
      endedAt: null,
      durationMs: null,
      timeoutSeconds: null,
      meta: {},
      estimatedDurationSeconds: null,
      lateAfterSeconds: null,
      owner: null,
      lineCount: 0,
      resources: null,
      jobId: null,
      attempt: null,
      retryOfId: null,
      scheduledAt: null,
      rerunOf: null,
      resumeFrom: null,
      hasSummary: false,
      outputs: {},
      limits: null,
      limitHits: [],
    });
    const running = make({
      spec: { command: 'x', cwd: '/', timeoutSeconds: 30, lateAfterSeconds: 45 },
      status: 'running',
      createdAt: '2026-02-01T00:00:00.000Z',
      owner: { host: 'h', pid: 1, startTime: 2 },
      job: { jobId: 'j', attempt: 2, retryOfId: 'r', scheduledAt: '2026-02-01T00:00:00.000Z' },
      rerun: { rerunOf: 'p', resumeFrom: 'Test' },
    });
    expect(running).toMatchObject({
      status: 'running',
      startedAt: '2026-02-01T00:00:00.000Z',
      timeoutSeconds: 30,
      lateAfterSeconds: 45,
      owner: { host: 'h', pid: 1, startTime: 2 },
      jobId: 'j',
      attempt: 2,
      retryOfId: 'r',
      rerunOf: 'p',
      resumeFrom: 'Test',
    });
  });

  it('gets an id whose time is its creation, increasing within one millisecond', () => {
    const nextId = createExecutionIdFactory();
    const at = (createdAt: string) =>
      newExecution({ spec: { command: 'x', cwd: '/' }, createdAt }, { nextId, now: () => NOW }).id;
    const ids = [
      at('2026-02-01T00:00:00.000Z'),
      at('2026-02-01T00:00:00.000Z'),
      at('2026-02-01T00:00:00.001Z'),
    ];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(3);
    expect(decodeTime(ids[0]!.toUpperCase())).toBe(Date.parse('2026-02-01T00:00:00.000Z'));
  });

  it.each([
    ['both command and argv', { command: 'a', argv: ['b'], cwd: '/' }, /exactly one of command and argv/],
    ['neither', { cwd: '/' }, /exactly one of command and argv/],
    ['an empty argv', { argv: [], cwd: '/' }, /exactly one of command and argv/],
    ['no cwd', { command: 'a', cwd: '' }, /needs a cwd/],
  ])('is refused for a spec with %s', (_, spec, message) => {
    expect(() => make({ spec })).toThrow(
      expect.objectContaining({ code: 'validation_failed', message: expect.stringMatching(message) }),
    );
  });

  it('is refused for a createdAt that is not a time', () => {
    expect(() => make({ spec: { command: 'x', cwd: '/' }, createdAt: 'yesterday' })).toThrow(
      expect.objectContaining({ code: 'validation_failed', message: expect.stringContaining('createdAt') }),
    );
  });
});
