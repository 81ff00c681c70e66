import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

/**
 * `stepflow settings` and `stepflow envs` on a data dir (docs/WORKSPACE-ENVIRONMENTS.md): settings
 * round-trip and reach `stepflow run`; an environment added, built live, named by `run --env-name`,
 * reset. No requirements: the build is the venv alone, so no index is needed here (the server test
 * covers pip against a loopback index).
 */
const tempDir = useTempDirs();

describe('stepflow settings and envs', () => {
  it('sets, shows and unsets settings; a global variable reaches stepflow run; bad keys are refused', async () => {
    const dataDir = tempDir();
    const cli = (args: string[]) => runCli(args, { dataDir });
    expect((await cli(['settings', 'set', 'pythonIndexUrl', 'http://127.0.0.1:9/simple/'])).code).toBe(0);
    expect((await cli(['settings', 'set', 'env.SF_TEAM', 'blue'])).code).toBe(0);
    const shown = await cli(['settings', 'show', '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      pythonIndexUrl: 'http://127.0.0.1:9/simple/',
      env: { SF_TEAM: 'blue' },
    });
    const run = await cli(['run', '--', 'echo team=$SF_TEAM']);
    expect(run.stdout).toContain('team=blue');
    expect((await cli(['settings', 'unset', 'env.SF_TEAM'])).code).toBe(0);
    expect(JSON.parse((await cli(['settings', 'show', '--json'])).stdout).env).toEqual({});

    const unknown = await cli(['settings', 'set', 'indexUrl', 'x']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('unknown setting "indexUrl"');
    const badUrl = await cli(['settings', 'set', 'pythonIndexUrl', 'file:///tmp']);
    expect(badUrl.code).not.toBe(0);
    expect(badUrl.stderr).toContain('pythonIndexUrl');

    // Retention defaults, limit by limit; a limit the environment sets is shown winning.
    expect((await cli(['settings', 'set', 'retention.days', '30'])).code).toBe(0);
    expect((await cli(['settings', 'set', 'retention.keepLast', '5'])).code).toBe(0);
    expect(JSON.parse((await cli(['settings', 'show', '--json'])).stdout).retention).toEqual({
      days: 30,
      keepLast: 5,
    });
    const pinned = await runCli(['settings', 'show'], { dataDir, env: { STEPFLOW_RETENTION_DAYS: '7' } });
    expect(pinned.stdout).toContain("retention.days=30 (the environment's 7 wins)");
    const misspelt = await cli(['settings', 'set', 'retention.keep_last', '3']);
    expect(misspelt.code).not.toBe(0);
    expect(misspelt.stderr).toContain('retention.keep_last: unknown field');
    expect((await cli(['settings', 'unset', 'retention.days'])).code).toBe(0);
    expect(JSON.parse((await cli(['settings', 'show', '--json'])).stdout).retention).toEqual({ keepLast: 5 });
  }, 60_000);

  it('adds, builds (live, recorded), runs in and resets an environment', async () => {
    const dataDir = tempDir();
    const cli = (args: string[]) => runCli(args, { dataDir });
    const added = await cli(['envs', 'add', 'plain']);
    expect(added.stdout).toContain('added plain (python3, 0 requirements)');
    const refused = await cli(['envs', 'add', 'conda-one', '--interpreter', 'conda3']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('interpreter "conda3"');
    // conda is not installed here: its build fails at once, saying so.
    expect((await cli(['envs', 'add', 'with-conda', '--interpreter', 'conda:3.11'])).code).toBe(0);
    const conda = await cli(['envs', 'build', 'with-conda']);
    expect(conda.code).not.toBe(0);
    expect(conda.stdout + conda.stderr).toContain('conda is not installed on');
    expect((await cli(['envs', 'rm', 'with-conda'])).code).toBe(0);

    const build = await cli(['envs', 'build', 'plain']);
    expect(build.code, build.stderr).toBe(0);
    expect(build.stdout).toContain('environment ready:');
    const listed = JSON.parse((await cli(['envs', 'ls', '--json'])).stdout);
    expect(listed).toMatchObject([{ name: 'plain', state: 'ready' }]);

    const run = await cli(['run', '--env-name', 'plain', '--', 'echo venv=$VIRTUAL_ENV; command -v python']);
    expect(run.code, run.stderr).toBe(0);
    const venv = /venv=(\S+)/.exec(run.stdout)?.[1] ?? '';
    expect(venv.startsWith(path.join(dataDir, 'envs'))).toBe(true);
    expect(run.stdout).toContain(path.join(venv, 'bin', 'python'));
    const missing = await cli(['run', '--env-name', 'nope', '--', 'true']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('"nope"');

    expect((await cli(['envs', 'reset', 'plain'])).stdout).toContain('generation 1');
    expect(fs.existsSync(venv)).toBe(false);
    expect((await cli(['envs', 'rm', 'plain'])).code).toBe(0);
    expect(JSON.parse((await cli(['envs', 'ls', '--json'])).stdout)).toEqual([]);
  }, 120_000);
});
