import { describe, expect, it } from 'vitest';
import { forServer, loadConfig } from './config.js';

describe('loadConfig: the run environment', () => {
  it('inherits everything by default (CLI runs) and keeps the server’s lists', () => {
    const config = loadConfig(
      { STEPFLOW_ENV_PASSTHROUGH: 'CUDA_*, JAVA_HOME', STEPFLOW_SERVER_ONLY_ENV: 'AWS_*,DATABASE_URL' },
      '/',
    );
    expect(config.runEnvironment).toEqual({
      inherit: 'all',
      passThrough: ['CUDA_*', 'JAVA_HOME'],
      serverOnly: ['AWS_*', 'DATABASE_URL'],
    });
    expect(forServer(config).runEnvironment).toEqual({ ...config.runEnvironment, inherit: 'allow-list' });
  });

  it('reads unset or blank lists as empty', () => {
    expect(loadConfig({ STEPFLOW_ENV_PASSTHROUGH: ' , ' }, '/').runEnvironment).toEqual({
      inherit: 'all',
      passThrough: [],
      serverOnly: [],
    });
  });

  it.each([
    ['STEPFLOW_ENV_PASSTHROUGH', 'CUDA_*,JAVA HOME'],
    ['STEPFLOW_SERVER_ONLY_ENV', 'AWS_KEY=1'],
    ['STEPFLOW_OUTPUT_PIPE_BYTES', '1MB'],
    ['STEPFLOW_OUTPUT_PIPE_BYTES', '-1'],
  ])('refuses %s=%j, naming the variable', (name, raw) => {
    expect(() => loadConfig({ [name]: raw }, '/')).toThrow(
      expect.objectContaining({
        code: 'validation_failed',
        message: expect.stringContaining(`${name} must be`),
      }),
    );
  });
});

describe('loadConfig: default log limits', () => {
  it('reads STEPFLOW_MAX_LOG_BYTES as a size, the line limit and the policy; none by default', () => {
    expect(loadConfig({}, '/').defaultLimits).toEqual({});
    expect(
      loadConfig(
        {
          STEPFLOW_MAX_LOG_BYTES: '100M',
          STEPFLOW_MAX_LOG_LINES: '50000',
          STEPFLOW_LOG_LIMIT_POLICY: 'fail',
        },
        '/',
      ).defaultLimits,
    ).toEqual({ maxLogBytes: 100 * 1024 * 1024, maxLines: 50_000, logLimitPolicy: 'fail' });
  });

  it.each([
    ['STEPFLOW_MAX_LOG_BYTES', 'lots'],
    ['STEPFLOW_MAX_LOG_LINES', '1.5'],
    ['STEPFLOW_LOG_LIMIT_POLICY', 'drop'],
  ])('refuses %s=%j, naming the variable', (name, raw) => {
    expect(() => loadConfig({ [name]: raw }, '/')).toThrow(name);
  });
});

describe('loadConfig: MAX_CONCURRENT_TASKS', () => {
  it('caps each engine at 50 by default, and caps the cluster only when set', () => {
    expect(loadConfig({}, '/')).toMatchObject({ maxConcurrent: 50 });
    expect(loadConfig({}, '/').clusterMaxRunning).toBeUndefined();
    expect(loadConfig({ MAX_CONCURRENT_TASKS: '2' }, '/')).toMatchObject({
      maxConcurrent: 2,
      clusterMaxRunning: 2,
    });
    expect(() => loadConfig({ MAX_CONCURRENT_TASKS: '0' }, '/')).toThrow(/MAX_CONCURRENT_TASKS/);
  });
});

describe('loadConfig: retention', () => {
  it('keeps everything when nothing is set, and reads each limit', () => {
    expect(loadConfig({}, '/').retention).toEqual({});
    expect(loadConfig({}, '/').retentionSweepMs).toBe(600_000);
    expect(
      loadConfig(
        {
          STEPFLOW_RETENTION_DAYS: '30',
          STEPFLOW_RETENTION_KEEP_LAST: '100',
          STEPFLOW_RETENTION_LOG_DAYS: '7',
          STEPFLOW_RETENTION_ARTIFACT_DAYS: '0.5',
          STEPFLOW_RETENTION_FAILED_DAYS: '90',
          STEPFLOW_RETENTION_SWEEP_MINUTES: '2',
        },
        '/',
      ),
    ).toMatchObject({
      retention: { days: 30, keepLast: 100, logDays: 7, artifactDays: 0.5, failedDays: 90 },
      retentionSweepMs: 120_000,
    });
  });

  it.each([
    ['STEPFLOW_RETENTION_DAYS', '7d', 'must be a number'],
    ['STEPFLOW_RETENTION_DAYS', '0', 'must be a number of days above 0'],
    ['STEPFLOW_RETENTION_LOG_DAYS', '-3', 'must be a number of days above 0'],
    ['STEPFLOW_RETENTION_KEEP_LAST', '2.5', 'must be an integer of at least 1'],
    ['STEPFLOW_RETENTION_SWEEP_MINUTES', 'soon', 'must be a number of minutes above 0'],
  ])('refuses %s=%j at start, naming it', (name, raw, what) => {
    expect(() => loadConfig({ [name]: raw }, '/')).toThrow(
      expect.objectContaining({
        code: 'validation_failed',
        message: expect.stringContaining(`${name} ${what}`),
      }),
    );
  });
});
