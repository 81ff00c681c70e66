import { describe, expect, it } from 'vitest';
import { childEnvironment, INHERIT_ALL, type ChildEnvironmentPolicy } from './child-environment.js';

const PARENT: NodeJS.ProcessEnv = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/op',
  USER: 'op',
  LOGNAME: 'op',
  SHELL: '/bin/bash',
  LANG: 'C.UTF-8',
  LANGUAGE: 'en',
  LC_ALL: 'C.UTF-8',
  LC_TIME: 'en_GB.UTF-8',
  TZ: 'Asia/Shanghai',
  TERM: 'xterm',
  TMPDIR: '/var/tmp',
  http_proxy: 'http://proxy:3128',
  HTTPS_PROXY: 'http://proxy:3128',
  no_proxy: 'localhost',
  ALL_PROXY: 'socks5://proxy:1080',
  STEPFLOW_API_KEY: 'admin-key',
  STEPFLOW_API_KEYS: 'k1,k2',
  STEPFLOW_TOKEN: 'cli-token',
  STEPFLOW_STORAGE_PATH: '/srv/stepflow',
  STEPFLOW_EXECUTION_ID: 'the-parents-own-run',
  DATABASE_URL: 'postgres://secret',
  AWS_SECRET_ACCESS_KEY: 'aws-secret',
  AWS_PROFILE: 'dev',
  CUDA_HOME: '/usr/local/cuda',
  CUDA_VISIBLE_DEVICES: '0',
  JAVA_HOME: '/usr/lib/jvm',
  VIRTUAL_ENV: '/home/op/venv',
  RANDOM_THING: 'x',
  UNSET: undefined,
};

const ALLOW_LISTED = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_TIME',
  'TZ',
  'TERM',
  'TMPDIR',
  'http_proxy',
  'HTTPS_PROXY',
  'no_proxy',
  'ALL_PROXY',
];
const USER_ONLY = [
  'AWS_PROFILE',
  'AWS_SECRET_ACCESS_KEY',
  'CUDA_HOME',
  'CUDA_VISIBLE_DEVICES',
  'DATABASE_URL',
];

const server = (passThrough: string[] = [], serverOnly: string[] = []): ChildEnvironmentPolicy => ({
  inherit: 'allow-list',
  passThrough,
  serverOnly,
});
const cli = (serverOnly: string[] = []): ChildEnvironmentPolicy => ({ ...INHERIT_ALL, serverOnly });

const TAG = { STEPFLOW_EXECUTION_ID: 'run-1' };
/** The names taken from the parent or the run (the live-output default is tested on its own). */
const names = (env: Record<string, string>) =>
  Object.keys(env)
    .filter((name) => name !== 'PYTHONUNBUFFERED')
    .sort();

describe('childEnvironment', () => {
  it.each([
    {
      case: 'server run: the allow-list only, then StepFlow’s variables',
      policy: server(),
      expected: [...ALLOW_LISTED, 'STEPFLOW_EXECUTION_ID'],
    },
    {
      case: 'server run with pass-through names and globs',
      policy: server(['CUDA_*', 'JAVA_HOME']),
      expected: [...ALLOW_LISTED, 'CUDA_HOME', 'CUDA_VISIBLE_DEVICES', 'JAVA_HOME', 'STEPFLOW_EXECUTION_ID'],
    },
    {
      case: 'server run with `*`: everything but StepFlow’s own variables (the old behaviour)',
      policy: server(['*']),
      expected: [
        ...ALLOW_LISTED,
        ...USER_ONLY,
        'JAVA_HOME',
        'RANDOM_THING',
        'VIRTUAL_ENV',
        'STEPFLOW_EXECUTION_ID',
      ],
    },
    {
      case: 'server run with `*` and server-only globs: those never pass',
      policy: server(['*'], ['AWS_*', 'DATABASE_URL']),
      expected: [
        ...ALLOW_LISTED,
        'CUDA_HOME',
        'CUDA_VISIBLE_DEVICES',
        'JAVA_HOME',
        'RANDOM_THING',
        'VIRTUAL_ENV',
        'STEPFLOW_EXECUTION_ID',
      ],
    },
    {
      case: 'server-only beats the allow-list too',
      policy: server([], ['HOME', 'LC_*']),
      expected: [
        ...ALLOW_LISTED.filter((n) => n !== 'HOME' && !n.startsWith('LC_')),
        'STEPFLOW_EXECUTION_ID',
      ],
    },
    {
      case: 'pass-through cannot bring StepFlow’s own variables',
      policy: server(['STEPFLOW_*', 'STEPFLOW_API_KEY']),
      expected: [...ALLOW_LISTED, 'STEPFLOW_EXECUTION_ID'],
    },
    {
      case: 'CLI run: the whole environment minus StepFlow’s own variables',
      policy: cli(),
      expected: [
        ...ALLOW_LISTED,
        ...USER_ONLY,
        'JAVA_HOME',
        'RANDOM_THING',
        'VIRTUAL_ENV',
        'STEPFLOW_EXECUTION_ID',
      ],
    },
    {
      case: 'CLI run minus the server-only names',
      policy: cli(['AWS_SECRET_*', 'DATABASE_URL']),
      expected: [
        ...ALLOW_LISTED,
        'AWS_PROFILE',
        'CUDA_HOME',
        'CUDA_VISIBLE_DEVICES',
        'JAVA_HOME',
        'RANDOM_THING',
        'VIRTUAL_ENV',
        'STEPFLOW_EXECUTION_ID',
      ],
    },
  ])('$case', ({ policy, expected }) => {
    const env = childEnvironment({ parent: PARENT, policy, runEnv: {}, stepflowVars: TAG });
    expect(names(env)).toEqual([...expected].sort());
    expect(env.STEPFLOW_EXECUTION_ID).toBe('run-1');
    for (const name of names(env)) if (name !== 'STEPFLOW_EXECUTION_ID') expect(env[name]).toBe(PARENT[name]);
  });

  it('sets PYTHONUNBUFFERED=1 (output as printed) unless the parent passes or the run sets it', () => {
    const run = (parent: NodeJS.ProcessEnv, runEnv: Record<string, string>) =>
      childEnvironment({ parent, policy: server(), runEnv, stepflowVars: TAG }).PYTHONUNBUFFERED;
    expect(run({}, {})).toBe('1');
    expect(run({ PYTHONUNBUFFERED: '' }, {})).toBe('1'); // not allow-listed: the server's is not passed
    expect(run({}, { PYTHONUNBUFFERED: '' })).toBe('');
    expect(
      childEnvironment({ parent: { PYTHONUNBUFFERED: '' }, policy: cli(), runEnv: {}, stepflowVars: TAG })
        .PYTHONUNBUFFERED,
    ).toBe('');
  });

  it.each([server(), cli(['AWS_*'])])('lets the run’s env set any name but StepFlow’s own (%#)', (policy) => {
    const env = childEnvironment({
      parent: PARENT,
      policy,
      runEnv: {
        PATH: '/opt/bin',
        AWS_SECRET_ACCESS_KEY: 'the-jobs-own',
        STEPFLOW_SERVER: 'http://other:8080',
        STEPFLOW_EXECUTION_ID: 'forged',
        GREETING: 'hi',
      },
      stepflowVars: TAG,
    });
    expect(env).toMatchObject({
      PATH: '/opt/bin',
      AWS_SECRET_ACCESS_KEY: 'the-jobs-own',
      STEPFLOW_SERVER: 'http://other:8080',
      STEPFLOW_EXECUTION_ID: 'run-1',
      GREETING: 'hi',
    });
    expect(env.STEPFLOW_API_KEY).toBeUndefined();
  });

  it('matches names whole and case-sensitively, with `*` as the only wildcard', () => {
    const parent = { 'A.B': '1', AXB: '2', path: '3', LC: '4', XLC_ALL: '5', 'CUDA_(1)': '6' };
    const env = childEnvironment({
      parent,
      policy: server(['A.B', 'CUDA_(*']),
      runEnv: {},
      stepflowVars: {},
    });
    expect(names(env)).toEqual(['A.B', 'CUDA_(1)']);
  });
});
