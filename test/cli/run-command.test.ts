import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, startCli, waitForOutput } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { isAlive } from '../helpers/processes.js';

const tempDir = useTempDirs();

interface ShownExecution {
  id: string;
  name: string;
  command: string;
  status: string;
  exitCode: number | null;
  startedAt: string;
  endedAt: string;
  lineCount: number;
  steps: {
    id: number;
    name: string;
    status: string;
    parentId: number | null;
    startedAt: string;
    endedAt: string;
    meta: Record<string, string>;
    error: string | null;
  }[];
  artifacts: {
    id: number;
    path: string;
    description: string;
    size: number;
    sha256: string;
    status: string;
    error: string | null;
    mediaType: string;
  }[];
  annotations: { level: string; message: string; file: string | null; line: number | null }[];
}

async function lastExecution(dataDir: string): Promise<ShownExecution> {
  const ls = await runCli(['ls', '--json', '--limit', '1'], { dataDir });
  expect(ls.code).toBe(0);
  const [latest] = (JSON.parse(ls.stdout) as { items: { id: string }[] }).items;
  const shown = await runCli(['show', latest!.id, '--json'], { dataDir });
  expect(shown.code).toBe(0);
  return JSON.parse(shown.stdout) as ShownExecution;
}

function writeScript(dir: string, name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, body, { mode: 0o755 });
  return file;
}

describe('stepflow run', () => {
  it('records --late-after (90, 90s, 10m, 1.5h) on the run, `ls` says late past it, and a duration it cannot read is refused', async () => {
    const dataDir = tempDir();
    const run = await runCli(['run', '--late-after', '1.5h', '--', 'true'], { dataDir });
    expect(run.code).toBe(0);
    expect(((await lastExecution(dataDir)) as unknown as { lateAfterSeconds: number }).lateAfterSeconds).toBe(
      5400,
    );

    // `stepflow ls` (another process) says "late" once a running run is past its threshold.
    const slow = startCli(
      ['run', '--name', 'slow one', '--late-after', '1', '--', 'echo started; sleep 30'],
      {
        dataDir,
      },
    );
    await waitForOutput(slow.child, (out) => out.includes('started'));
    const rowOf = async () =>
      (await runCli(['ls'], { dataDir })).stdout.split('\n').find((line) => line.includes('slow one')) ?? '';
    await expect.poll(rowOf, { timeout: 15_000, interval: 200 }).toMatch(/running late/);
    slow.child.kill('SIGINT');
    await slow.result;
    expect(await rowOf()).not.toContain('late');

    const bad = await runCli(['run', '--late-after', 'soon', '--', 'true'], { dataDir });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--late-after expects a positive duration');
  });

  it('runs the README shell example: three steps live, artifacts stored, show --json reports them', async () => {
    const dataDir = tempDir();
    const work = tempDir();
    const run = await runCli(['run', '--', 'bash', path.join(ROOT, 'examples/train-model.sh')], {
      dataDir,
      cwd: work,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // Plain (non-TTY) output: one line per step start and finish, in order.
    const order = ['▶ 环境设置', '✓ 环境设置', '▶ 模型训练', '✓ 模型训练', '▶ 模型评估', '✓ 模型评估'].map(
      (s) => run.stdout.indexOf(s),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    const shown = await lastExecution(dataDir);
    expect(shown.status).toBe('succeeded');
    expect(shown.exitCode).toBe(0);
    expect(shown.command).toContain('train-model.sh');
    expect(shown.steps.map((s) => [s.name, s.status, s.parentId])).toEqual([
      ['环境设置', 'succeeded', null],
      ['模型训练', 'succeeded', null],
      ['模型评估', 'succeeded', null],
    ]);
    expect(shown.steps[1]!.meta).toMatchObject({ ESTIMATED_DURATION: '3' });
    for (const step of shown.steps)
      expect(Date.parse(step.endedAt)).toBeGreaterThanOrEqual(Date.parse(step.startedAt));
    expect(shown.artifacts.map((a) => [a.path, a.description, a.status])).toEqual([
      ['example-output/model.pkl', '训练好的模型', 'stored'],
      ['example-output/training.log', '训练输出', 'stored'],
      ['example-output/results.json', '评估结果', 'stored'],
    ]);
    const model = fs.readFileSync(path.join(work, 'example-output/model.pkl'));
    expect(shown.artifacts[0]!.size).toBe(model.length);
    expect(shown.artifacts[0]!.sha256).toBe(createHash('sha256').update(model).digest('hex'));
    expect(shown.artifacts[0]!.error).toBeNull();
    expect(shown.annotations).toEqual([]);
  });

  it('runs the README Python example with its Chinese step name and artifact', async () => {
    const dataDir = tempDir();
    const run = await runCli(['run', '--', 'python3', path.join(ROOT, 'examples/process-data.py')], {
      dataDir,
      cwd: tempDir(),
    });
    expect(run.code).toBe(0);
    const shown = await lastExecution(dataDir);
    expect(shown.steps.map((s) => s.name)).toEqual(['数据处理']);
    expect(shown.artifacts.map((a) => [a.path, a.status, a.mediaType])).toEqual([
      ['example-output/cleaned_data.csv', 'stored', 'text/csv'],
    ]);
  });

  it('fails the run and the step on the README error example, exiting with its code', async () => {
    const dataDir = tempDir();
    const run = await runCli(['run', '--', 'bash', path.join(ROOT, 'examples/error-handling.sh')], {
      dataDir,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('数据格式不正确或包含缺失值');
    const shown = await lastExecution(dataDir);
    expect(shown.status).toBe('failed');
    expect(shown.steps).toMatchObject([
      { name: '数据验证', status: 'failed', error: '数据格式不正确或包含缺失值' },
    ]);
  });

  it('records STEP_ERROR as failed and exits 1 even when the script exits 0', async () => {
    const dataDir = tempDir();
    const run = await runCli(['run', '--', 'echo STEP_START:check; echo STEP_ERROR:disk full; exit 0'], {
      dataDir,
    });
    expect(run.code).toBe(1);
    const shown = await lastExecution(dataDir);
    expect(shown.status).toBe('failed');
    expect(shown.exitCode).toBe(0);
  });

  it("exits with the script's own exit code and records it", async () => {
    const dataDir = tempDir();
    const run = await runCli(['run', '--name', 'three', '--tag', 'team=ops', '--', 'exit 3'], { dataDir });
    expect(run.code).toBe(3);
    const shown = await lastExecution(dataDir);
    expect(shown).toMatchObject({ name: 'three', status: 'failed', exitCode: 3 });
    expect((shown as unknown as { tags: Record<string, string> }).tags).toEqual({ team: 'ops' });
  });

  it('passes several arguments as an argv without a shell', async () => {
    const dataDir = tempDir();
    const run = await runCli(['run', '--', 'printf', '%s|', 'a b', '$HOME', '"q"'], { dataDir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('a b|$HOME|"q"|');
  });

  it('gives the script the user’s environment (a virtualenv keeps working) minus StepFlow’s keys and server-only names', async () => {
    const dataDir = tempDir();
    const secrets = ['admin-key-x81f', 'second-key-x81f', 'cli-token-x81f', 'cloud-secret-x81f'];
    const run = await runCli(['run', '--', 'env'], {
      dataDir,
      env: {
        STEPFLOW_API_KEY: secrets[0]!,
        STEPFLOW_API_KEYS: secrets[1]!,
        STEPFLOW_TOKEN: secrets[2]!,
        STEPFLOW_SERVER_ONLY_ENV: 'MY_CLOUD_*',
        MY_CLOUD_SECRET: secrets[3]!,
        VIRTUAL_ENV: '/home/someone/venv-x81f',
      },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('VIRTUAL_ENV=/home/someone/venv-x81f');
    expect(run.stdout).toMatch(/^STEPFLOW_EXECUTION_ID=\w+/m);
    for (const secret of secrets) expect(run.stdout).not.toContain(secret);
    // Not even StepFlow's harmless settings: a script gets only what StepFlow sets for it.
    expect(run.stdout).not.toContain(`STEPFLOW_STORAGE_PATH=`);
  });

  it('stops a run past --timeout, records timed_out and exits 124', async () => {
    const dataDir = tempDir();
    const started = Date.now();
    const run = await runCli(['run', '--timeout', '1', '--', 'echo before; sleep 30; echo never-printed'], {
      dataDir,
      env: { STEPFLOW_KILL_GRACE_MS: '500' },
    });
    expect(run.code).toBe(124);
    expect(Date.now() - started).toBeLessThan(10_000);
    const shown = await lastExecution(dataDir);
    expect(shown.status).toBe('timed_out');
    const logs = await runCli(['logs', shown.id], { dataDir });
    expect(logs.stdout).toContain('before');
    expect(logs.stdout).not.toContain('never-printed');
  });

  it('cancels on Ctrl-C (SIGINT): records cancelled, kills the tree, exits 130', async () => {
    const dataDir = tempDir();
    const work = tempDir();
    const pidFile = path.join(work, 'child.pid');
    const { child, result } = startCli(['run', '--', `sleep 60 & echo $! > ${pidFile}; echo ready; wait`], {
      dataDir,
      env: { STEPFLOW_KILL_GRACE_MS: '500' },
    });
    await waitForOutput(child, (out) => out.includes('ready'));
    child.kill('SIGINT');
    const run = await result;
    expect(run.code).toBe(130);
    const shown = await lastExecution(dataDir);
    expect(shown.status).toBe('cancelled');
    expect(isAlive(Number(fs.readFileSync(pidFile, 'utf8')))).toBe(false);
  });

  it('leaves no phantom running execution when the CLI is killed: the next process marks it interrupted', async () => {
    const dataDir = tempDir();
    const pidFile = path.join(tempDir(), 'orphan.pid');
    const { child, result } = startCli(
      ['run', '--', `sleep 60 & echo $! > ${pidFile}; for i in 1 2 3; do echo line-$i; done; wait`],
      { dataDir },
    );
    await waitForOutput(child, (out) => out.includes('line-3'));
    // Give the store writer its flush interval so the printed lines are committed.
    await new Promise((r) => setTimeout(r, 400));
    child.kill('SIGKILL');
    await result;
    const shown = await lastExecution(dataDir);
    expect(shown.status).toBe('interrupted');
    const logs = await runCli(['logs', shown.id], { dataDir });
    expect(logs.stdout).toBe('line-1\nline-2\nline-3\n');
    // The orphaned script was ended by the process that found it.
    await expect.poll(() => isAlive(Number(fs.readFileSync(pidFile, 'utf8'))), { timeout: 5000 }).toBe(false);
  });

  it('rejects bad usage with a one-line error, where to read the usage, and exit code 2', async () => {
    const dataDir = tempDir();
    for (const args of [
      ['run'],
      ['frobnicate'],
      ['ls', '--status', 'nope'],
      ['ls', '--limit', '0'],
      ['run', '--timeout', 'soon', '--', 'true'],
    ]) {
      const result = await runCli(args, { dataDir });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/error|usage/i);
      expect(result.stderr, args.join(' ')).toMatch(/see 'stepflow (\w+ )?--help'/);
      // Not a page of help: the error must stay in sight.
      expect(result.stderr, args.join(' ')).not.toContain('Commands:');
      expect(result.stderr.trim().split('\n').length, args.join(' ')).toBeLessThanOrEqual(2);
    }
  });

  it('refuses to serve on all interfaces without a key with the reason alone, exit code 2', async () => {
    const result = await runCli(['server', '--host', '0.0.0.0', '--port', '0'], { dataDir: tempDir() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('refusing to listen on 0.0.0.0 without authentication');
    expect(result.stderr).toContain("see 'stepflow server --help'");
    expect(result.stderr).not.toContain('Commands:');
  });
});

describe('stepflow show / ls / logs', () => {
  it('reports an unknown id with not_found and exit code 1', async () => {
    const dataDir = tempDir();
    const result = await runCli(['show', '01nosuchexecution'], { dataDir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not_found: execution "01nosuchexecution" not found/);
  });

  it('lists executions newest first and filters by status', async () => {
    const dataDir = tempDir();
    await runCli(['run', '--name', 'first', '--', 'true'], { dataDir });
    await runCli(['run', '--name', 'second', '--', 'false'], { dataDir });
    const all = JSON.parse((await runCli(['ls', '--json'], { dataDir })).stdout) as {
      items: { name: string }[];
      nextCursor: string | null;
    };
    // The API's page shape, cursor included.
    expect(all.items.map((e) => e.name)).toEqual(['second', 'first']);
    expect(all.nextCursor).toBeNull();
    const paged = JSON.parse((await runCli(['ls', '--json', '--limit', '1'], { dataDir })).stdout) as {
      items: { name: string }[];
      nextCursor: string | null;
    };
    expect(paged.items.map((e) => e.name)).toEqual(['second']);
    expect(paged.nextCursor).toEqual(expect.any(String));
    const failed = JSON.parse((await runCli(['ls', '--json', '--status', 'failed'], { dataDir })).stdout) as {
      items: { name: string }[];
    };
    expect(failed.items.map((e) => e.name)).toEqual(['second']);
    const table = await runCli(['ls'], { dataDir });
    expect(table.stdout).toMatch(/second[\s\S]*first/);
  });

  it('prints one step of the log with masked values replaced', async () => {
    const dataDir = tempDir();
    const script = writeScript(
      tempDir(),
      'mask.sh',
      [
        'echo "::add-mask::hunter2"',
        'echo STEP_START:a',
        'echo "password is hunter2"',
        'echo STEP_COMPLETE:a',
        'echo STEP_START:b',
        'echo in-b',
        'echo STEP_COMPLETE:b',
      ].join('\n'),
    );
    await runCli(['run', '--', 'bash', script], { dataDir });
    const { id } = await lastExecution(dataDir);
    const logs = await runCli(['logs', id, '--step', 'a'], { dataDir });
    expect(logs.code).toBe(0);
    expect(logs.stdout).toBe('STEP_START:a\npassword is ***\nSTEP_COMPLETE:a\n');
    const all = await runCli(['logs', id], { dataDir });
    expect(all.stdout).not.toContain('hunter2');
    expect(all.stdout).not.toContain('add-mask');
    const missing = await runCli(['logs', id, '--step', 'nope'], { dataDir });
    expect(missing.code).toBe(1);
  });

  it('prints a step with the steps nested in it for logs --step', async () => {
    const dataDir = tempDir();
    const script = path.join(tempDir(), 'nested.sh');
    fs.writeFileSync(
      script,
      [
        'echo before',
        'echo STEP_START:build',
        'echo compiling',
        'echo STEP_START:test',
        'echo testing',
        'echo STEP_COMPLETE:test',
        'echo linking',
        'echo STEP_COMPLETE:build',
        'echo STEP_START:deploy',
        'echo shipping',
        'echo STEP_COMPLETE:deploy',
      ].join('\n'),
    );
    await runCli(['run', '--', 'bash', script], { dataDir });
    const { id } = await lastExecution(dataDir);
    const build = await runCli(['logs', id, '--step', 'build'], { dataDir });
    expect(build.code).toBe(0);
    expect(build.stdout).toBe(
      'STEP_START:build\ncompiling\nSTEP_START:test\ntesting\nSTEP_COMPLETE:test\nlinking\nSTEP_COMPLETE:build\n',
    );
    const inner = await runCli(['logs', id, '--step', 'test'], { dataDir });
    expect(inner.stdout).toBe('STEP_START:test\ntesting\nSTEP_COMPLETE:test\n');
  });

  it('follows a run driven by another process until it ends', async () => {
    const dataDir = tempDir();
    const running = startCli(['run', '--', 'echo one; sleep 1; echo two; sleep 0.5; echo three'], {
      dataDir,
    });
    await waitForOutput(running.child, (out) => out.includes('one'));
    const ls = JSON.parse((await runCli(['ls', '--json'], { dataDir })).stdout) as {
      items: { id: string }[];
    };
    const follow = await runCli(['logs', ls.items[0]!.id, '--follow'], { dataDir });
    expect(follow.code).toBe(0);
    expect(follow.stdout).toBe('one\ntwo\nthree\n');
    expect((await running.result).code).toBe(0);
  });
});
