import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();
const fixture = (name: string) => path.join(ROOT, 'test/fixtures/limits', name);

describe('stepflow run with limits', () => {
  it('--memory-limit kills the tree and the summary says which limit and by how much', async () => {
    const dataDir = tempDir();
    const run = await runCli(['run', '--memory-limit', '64M', '--', fixture('hold-200-mib.sh')], { dataDir });
    expect(run.code).not.toBe(0);
    expect(run.stdout).toMatch(
      /killed: memory limit 64 MB exceeded \(peak \d+ MB; best-effort, sampled every 1 s\)/,
    );
    expect(run.stdout).not.toContain('never printed when the memory limit works');
  });

  it('--max-lines with --log-limit-policy truncate keeps head and tail and prints the limit in the summary', async () => {
    const dataDir = tempDir();
    const run = await runCli(
      ['run', '--max-lines', '20', '--log-limit-policy', 'truncate', '--', 'seq 1 1000'],
      {
        dataDir,
      },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/⚠ limit: log truncated by maxLines 20: .*; 980 of 1,000 lines/);
    const id = /stepflow show (\S+)/.exec(run.stdout)![1]!;
    const shown = await runCli(['show', id], { dataDir });
    expect(shown.stdout).toMatch(/limit {5}log truncated by maxLines 20: /);
    const logs = await runCli(['logs', id], { dataDir });
    expect(logs.stdout.split('\n').slice(8, 13)).toEqual([
      '9',
      '10',
      '… 980 lines (3.7 KB) dropped by maxLines …',
      '991',
      '992',
    ]);
  });

  it.each([
    [['--memory-limit', 'lots'], '--memory-limit expects'],
    [['--cpu-limit', '0'], '--cpu-limit expects'],
    [['--max-log-bytes', '12'], '--max-log-bytes expects'],
    [['--max-lines', '1.5'], '--max-lines expects'],
    [['--log-limit-policy', 'drop'], '--log-limit-policy expects one of truncate, fail'],
  ])('refuses %j with a usage error and runs nothing', async (args, message) => {
    const dataDir = tempDir();
    const run = await runCli(['run', ...args, '--', 'echo ran'], { dataDir });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(message);
    expect(run.stdout).not.toContain('ran');
  });

  it('refuses log limits with --server, whose batches cannot carry a log with gaps', async () => {
    const run = await runCli(
      ['run', '--server', 'http://127.0.0.1:9', '--max-lines', '5', '--', 'echo ran'],
      {
        dataDir: tempDir(),
      },
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      '--max-lines, --max-log-bytes and --log-limit-policy cannot be used with --server',
    );
    expect(run.stdout).not.toContain('ran');
  });

  it('refuses --runs-on without a server to send the run to, and log limits with it', async () => {
    const alone = await runCli(['run', '--runs-on', 'gpu', '--', 'echo ran'], { dataDir: tempDir() });
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain(
      '--runs-on needs --server (or STEPFLOW_SERVER): a worker of that server runs it',
    );
    const limited = await runCli(
      ['run', '--server', 'http://127.0.0.1:9', '--runs-on', 'gpu', '--max-lines', '5', '--', 'echo ran'],
      { dataDir: tempDir() },
    );
    expect(limited.code).toBe(2);
    expect(limited.stderr).toContain(
      '--max-lines, --max-log-bytes and --log-limit-policy cannot be used with --runs-on',
    );
    expect(alone.stdout + limited.stdout).not.toContain('ran');
  });
});
