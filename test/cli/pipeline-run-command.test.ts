import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../helpers/processes.js';
import { runCli, startCli, waitForOutput } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const tempDir = useTempDirs();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.close());

/** A pipeline file (JSON is YAML) in a temp dir, `$DIR` in every node's env. */
function pipelineFile(pipeline: Record<string, unknown>): { file: string; dir: string } {
  const dir = tempDir();
  const file = path.join(dir, 'pipeline.yml');
  fs.writeFileSync(file, JSON.stringify({ ...pipeline, env: { DIR: dir } }));
  return { file, dir };
}

describe('stepflow pipeline run --follow', () => {
  // The view reads the run every 300 ms: the step lasts long enough to be seen on a loaded machine.
  it('shows each node and exits 0 when the pipeline succeeded, 1 when it failed', async () => {
    const env = { STEPFLOW_SERVER: server.url };
    const ok = pipelineFile({
      name: 'cli-ok',
      nodes: {
        build: { run: 'echo STEP_START:compile; sleep 2; echo STEP_COMPLETE:compile' },
        test: { run: 'true', needs: ['build'] },
      },
    });
    const passed = await runCli(['pipeline', 'run', ok.file, '--follow'], { dataDir: ok.dir, env });
    expect(passed.stderr).toMatch(/^pipeline cli-ok: run [0-9a-z]{26}\n$/);
    expect(passed.code).toBe(0);
    expect(passed.stdout).toContain('build: running\n');
    expect(passed.stdout).toContain('build › compile\n');
    expect(passed.stdout).toMatch(/test: succeeded \(\d/);
    expect(passed.stdout).toMatch(/pipeline cli-ok succeeded \(2\/2 nodes/);

    const bad = pipelineFile({
      name: 'cli-bad',
      nodes: { build: { run: 'exit 2' }, test: { run: 'true', needs: ['build'] } },
    });
    const failed = await runCli(['pipeline', 'run', bad.file, '--follow'], { dataDir: bad.dir, env });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('test: skipped');
    expect(failed.stdout).toMatch(/pipeline cli-bad failed/);
  });

  it('cancels the run on Ctrl-C: its nodes stop and it exits 130', async () => {
    const { file, dir } = pipelineFile({
      name: 'cli-interrupted',
      nodes: { slow: { run: `sleep 60 & echo $! > "$DIR/slow.pid"; wait` } },
    });
    const { child, result } = startCli(['pipeline', 'run', file, '--follow'], {
      dataDir: dir,
      env: { STEPFLOW_SERVER: server.url },
    });
    await waitForOutput(child, (out) => out.includes('slow: running'), 20_000);
    await expect.poll(() => fs.existsSync(path.join(dir, 'slow.pid')), { timeout: 10_000 }).toBe(true);
    const pid = Number(fs.readFileSync(path.join(dir, 'slow.pid'), 'utf8'));
    child.kill('SIGINT');
    const run = await result;
    expect(run.code).toBe(130);
    expect(run.stdout).toMatch(/pipeline cli-interrupted cancelled/);
    await expect.poll(() => isAlive(pid), { timeout: 10_000 }).toBe(false);
  });
});
