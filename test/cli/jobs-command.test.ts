import { describe, expect, it } from 'vitest';
import type { JobBody } from '../../src/protocol/job-schemas.js';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';

const tempDir = useTempDirs();
const startServer = useTestServers();

describe('stepflow jobs', () => {
  it('adds the README backup job, prints its next fire times in its zone, and lists it', async () => {
    const { url } = await startServer();
    const dataDir = tempDir();
    const env = { STEPFLOW_SERVER: url };
    const add = await runCli(
      [
        'jobs',
        'add',
        '--name',
        'backup',
        '--cron',
        '0 3 * * *',
        '--tz',
        'Asia/Shanghai',
        '--',
        './backup.sh',
      ],
      {
        dataDir,
        env,
      },
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(add.stdout).toContain('created job backup');
    const nextRuns = add.stdout.split('\n').filter((line) => line.includes('03:00:00 Asia/Shanghai'));
    expect(nextRuns).toHaveLength(5);
    for (const line of nextRuns) expect(line).toMatch(/T19:00:00Z\)$/);

    const ls = await runCli(['jobs', 'ls'], { dataDir, env });
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(
      /backup\s+active\s+\d{4}-\d\d-\d\d 03:00:00 Asia\/Shanghai\s+never run\s+cron "0 3 \* \* \*" \(Asia\/Shanghai\)/,
    );

    const json = await runCli(['jobs', 'ls', '--json', '--server', url], { dataDir });
    const [job] = JSON.parse(json.stdout) as JobBody[];
    expect(job).toMatchObject({
      name: 'backup',
      command: './backup.sh',
      triggers: [{ kind: 'cron', timezone: 'Asia/Shanghai' }],
    });
  });

  it('shows, runs, pauses, resumes and removes a job by name, with --json where asked', async () => {
    const { url } = await startServer();
    const dataDir = tempDir();
    const env = { STEPFLOW_SERVER: url };
    const added = await runCli(
      ['jobs', 'add', '--name', 'hello', '--every', '3600', '--late-p95', '--json', '--', 'echo', 'hi'],
      { dataDir, env },
    );
    const job = JSON.parse(added.stdout) as JobBody;
    expect(job.argv).toEqual(['echo', 'hi']);
    expect(job.lateByP95).toBe(true);

    const run = await runCli(['jobs', 'run', 'hello', '--json'], { dataDir, env });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ jobId: job.id, attempt: 1 });

    const paused = await runCli(['jobs', 'pause', job.id], { dataDir, env });
    expect(paused.stdout).toContain('paused job hello');
    const show = await runCli(['jobs', 'show', 'hello', '--json'], { dataDir, env });
    expect(JSON.parse(show.stdout)).toMatchObject({ enabled: false, nextRunAt: null });
    const resumed = await runCli(['jobs', 'resume', 'hello'], { dataDir, env });
    // Without a cron, times are in this machine's zone, and say so.
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    expect(resumed.stdout).toMatch(/resumed job hello; next run \d{4}-\d\d-\d\d \d\d:\d\d:\d\d (\S+)/);
    expect(resumed.stdout).toContain(` ${zone}`);
    const shown = await runCli(['jobs', 'show', 'hello'], { dataDir, env });
    expect(shown.stdout).toMatch(new RegExp(`\\d\\d:\\d\\d:\\d\\d ${zone.replace('/', '\\/')}\\s+started`));
    expect(shown.stdout).toContain('manual run');

    expect((await runCli(['jobs', 'rm', 'hello'], { dataDir, env })).code).toBe(0);
    const gone = await runCli(['jobs', 'show', 'hello'], { dataDir, env });
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('not_found');
  });

  it('adds a job for workers with --runs-on and --retry-on-lost, and edits both', async () => {
    const { url } = await startServer();
    const dataDir = tempDir();
    const env = { STEPFLOW_SERVER: url };
    const added = await runCli(
      ['jobs', 'add', '--name', 'gpu-train', '--runs-on', 'linux, gpu', '--retry-on-lost', '--', 'train.sh'],
      { dataDir, env },
    );
    expect(added.stderr).toBe('');
    expect(added.stdout).toContain('runs on:  workers with gpu, linux');
    expect(added.stdout).toContain('a lost run starts again once');

    const edited = await runCli(
      ['jobs', 'edit', 'gpu-train', '--runs-on', 'arm64', '--no-retry-on-lost', '--json'],
      {
        dataDir,
        env,
      },
    );
    expect(edited.code).toBe(0);
    expect(JSON.parse(edited.stdout)).toMatchObject({
      name: 'gpu-train',
      runsOn: ['arm64'],
      retryOnLost: false,
    });

    const bad = await runCli(['jobs', 'edit', 'gpu-train', '--runs-on', 'a b'], { dataDir, env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/validation_failed: body\.runsOn: "a b" is not a label/);
    const shown = await runCli(['jobs', 'show', 'gpu-train', '--json'], { dataDir, env });
    expect(JSON.parse(shown.stdout)).toMatchObject({ runsOn: ['arm64'], retryOnLost: false });
  });

  it('adds a job with its own retention policy, replaces it, keeps all, and goes back to the global one', async () => {
    const { url } = await startServer();
    const dataDir = tempDir();
    const env = { STEPFLOW_SERVER: url };
    const added = await runCli(
      [
        'jobs',
        'add',
        '--name',
        'nightly',
        '--retention-keep-last',
        '5',
        '--retention-log-days',
        '2.5',
        '--',
        'true',
      ],
      { dataDir, env },
    );
    expect(added.stderr).toBe('');
    expect(added.stdout).toContain('retention: its own: keep the last 5 runs, logs 2.5 days');

    // The flags given replace the whole policy (as the API does), they are not merged into it.
    const replaced = await runCli(['jobs', 'edit', 'nightly', '--retention-days', '30', '--json'], {
      dataDir,
      env,
    });
    expect(replaced.code).toBe(0);
    expect(JSON.parse(replaced.stdout)).toMatchObject({ retention: { days: 30 } });
    const keepAll = await runCli(['jobs', 'edit', 'nightly', '--retention-keep-all'], { dataDir, env });
    expect(keepAll.stdout).toContain('retention: its own: keep every run');

    const negative = await runCli(['jobs', 'edit', 'nightly', '--retention-days', '-1'], { dataDir, env });
    expect(negative.code).not.toBe(0);
    expect(negative.stderr).toContain('validation_failed: body.retention.days');
    const word = await runCli(['jobs', 'edit', 'nightly', '--retention-keep-last', 'ten'], { dataDir, env });
    expect(word.code).not.toBe(0);
    expect(word.stderr).toContain('--retention-keep-last expects a number, got "ten"');
    const both = await runCli(['jobs', 'edit', 'nightly', '--retention-global', '--retention-days', '3'], {
      dataDir,
      env,
    });
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('exclude each other');

    const global = await runCli(['jobs', 'edit', 'nightly', '--retention-global'], { dataDir, env });
    expect(global.stdout).toContain('retention: the global policy');
    const shown = await runCli(['jobs', 'show', 'nightly', '--json'], { dataDir, env });
    expect(JSON.parse(shown.stdout)).toMatchObject({ retention: null });
  });

  it('fails clearly with a non-zero exit on bad input and on an unreachable server', async () => {
    const { url } = await startServer();
    const dataDir = tempDir();
    const badCron = await runCli(
      ['jobs', 'add', '--name', 'x', '--cron', '61 * * * *', '--server', url, '--', 'true'],
      { dataDir },
    );
    expect(badCron.code).toBe(1);
    expect(badCron.stderr).toContain('validation_failed: body.triggers.0.cron');
    const badZone = await runCli(
      [
        'jobs',
        'add',
        '--name',
        'x',
        '--cron',
        '* * * * *',
        '--tz',
        'Mars/Base',
        '--server',
        url,
        '--',
        'true',
      ],
      {
        dataDir,
      },
    );
    expect(badZone.stderr).toContain('body.triggers.0.timezone');
    const badInterval = await runCli(
      ['jobs', 'add', '--name', 'x', '--every', '0.2', '--server', url, '--', 'true'],
      { dataDir },
    );
    expect(badInterval.stderr).toContain('body.triggers.0.intervalSeconds');
    const noCommand = await runCli(['jobs', 'add', '--name', 'x', '--server', url], { dataDir });
    expect(noCommand.code).toBe(2);

    // Port 9 on loopback: nothing listens there.
    const down = await runCli(['jobs', 'ls', '--server', 'http://127.0.0.1:9'], { dataDir });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(
      'server_unreachable: cannot reach the StepFlow server at http://127.0.0.1:9',
    );
  });
});
