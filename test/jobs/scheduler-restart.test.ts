import { describe, expect, it } from 'vitest';
import { listeningUrl, SERVER_ENV, startCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { createJob, ended, historyOf, runsOf, uniqueName, waitFor } from './jobs-client.js';

const tempDir = useTempDirs();
const startServer = useTestServers();

/** Its first run hangs (no marker file yet in its working directory); later runs end at once. */
const FIRST_RUN_HANGS = 'if [ ! -f first ]; then touch first; sleep 60; fi; echo done';

describe('scheduler across restarts', () => {
  it('a server killed during a run: the run is marked interrupted, the next fire time runs once, no fire runs twice', async () => {
    const dataDir = tempDir();
    const work = tempDir();
    const first = startCli(['server', '--port', '0'], { dataDir, env: SERVER_ENV });
    const url = await listeningUrl(first.child, 20_000);
    const job = await createJob(url, {
      name: uniqueName('nightly'),
      command: FIRST_RUN_HANGS,
      cwd: work,
      triggers: [{ intervalSeconds: 2 }],
    });
    const hanging = await waitFor(
      async () => (await runsOf(url, job.id)).find((run) => run.status === 'running'),
      'the first run to be running',
      15_000,
    );
    first.child.kill('SIGKILL');
    await first.result;
    const killedAt = Date.now();

    const second = startCli(['server', '--port', '0'], { dataDir, env: SERVER_ENV });
    try {
      const url2 = await listeningUrl(second.child, 20_000);
      const runs = await waitFor(
        async () => {
          const all = await runsOf(url2, job.id);
          return (
            all.some((run) => run.status === 'succeeded' && Date.parse(run.scheduledAt!) > killedAt) && all
          );
        },
        'a run after the restart to succeed',
        20_000,
      );
      expect(runs.find((run) => run.id === hanging.id)?.status).toBe('interrupted');

      const fires = await historyOf(url2, job.id);
      const started = fires.filter((fire) => fire.outcome === 'started');
      const fireTimes = started.map((fire) => fire.fireTime);
      expect(new Set(fireTimes).size).toBe(fireTimes.length);
      // Every started fire has its own execution, and every execution came from one fire.
      const all = await runsOf(url2, job.id);
      expect(new Set(started.map((fire) => fire.executionId)).size).toBe(started.length);
      expect(
        all
          .filter((run) => run.attempt === 1)
          .map((run) => run.id)
          .sort(),
      ).toEqual(started.map((fire) => fire.executionId).sort());
      const scheduled = all.map((run) => run.scheduledAt);
      expect(new Set(scheduled).size).toBe(scheduled.length);
    } finally {
      second.child.kill('SIGTERM');
      const end = await second.result;
      expect(end.code).toBe(0);
    }
  }, 90_000);

  it('a graceful restart on the same data dir: fire times passed while it was down follow run-once', async () => {
    const dataDir = tempDir();
    const before = await startServer({ dataDir });
    const job = await createJob(before.url, {
      name: uniqueName('catch-up'),
      command: 'echo caught up',
      triggers: [{ intervalSeconds: 1 }],
      missedFire: 'run-once',
      overlap: 'parallel',
    });
    await waitFor(async () => (await runsOf(before.url, job.id)).some(ended), 'a first run');
    await before.close();
    const closedAt = Date.now();
    // Down for a few fire times.
    await new Promise((resolve) => setTimeout(resolve, 3_200));

    const after = await startServer({ dataDir });
    const fires = await waitFor(async () => {
      const history = await historyOf(after.url, job.id);
      return history.some((fire) => fire.outcome === 'missed') && history;
    }, 'the missed fires to be recorded');
    const missed = fires.find((fire) => fire.outcome === 'missed')!;
    expect(missed.count).toBeGreaterThanOrEqual(1);
    expect(missed.reason).toContain('not running');
    const late = fires.find((fire) => fire.reason?.startsWith('run late'));
    expect(late).toBeDefined();
    expect(Date.parse(late!.fireTime)).toBeGreaterThan(closedAt);
    expect(Date.parse(late!.fireTime)).toBeGreaterThan(Date.parse(missed.fireTime));
    await waitFor(
      async () =>
        (await runsOf(after.url, job.id)).find(
          (run) => run.id === late!.executionId && run.status === 'succeeded',
        ),
      'the late run to succeed',
    );
  }, 60_000);
});
