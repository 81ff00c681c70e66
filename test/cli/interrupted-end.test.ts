import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive } from '../helpers/processes.js';
import { runCli, startCli, waitForOutput } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

describe('an interrupted run (built CLI: run `npm run build` first)', () => {
  it('ends at its owner’s last sign of life, not when the next process notices the crash', async () => {
    const dataDir = tempDir();
    const pidFile = path.join(tempDir(), 'orphan.pid');
    // Prints once, then stays silent: only the owner's heartbeat and samples show it is alive.
    const { child, result } = startCli(['run', '--', `echo started; sleep 60 & echo $! > ${pidFile}; wait`], {
      dataDir,
    });
    await waitForOutput(child, (out) => out.includes('started'));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    child.kill('SIGKILL');
    await result;
    const killedAt = Date.now();

    // The crash is noticed a while later, by the next process that opens the data dir.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const noticedAt = Date.now();
    const ls = await runCli(['ls', '--json', '--limit', '1'], { dataDir });
    expect(ls.code).toBe(0);
    const [listed] = (JSON.parse(ls.stdout) as { items: { id: string }[] }).items;
    const shown = JSON.parse((await runCli(['show', listed!.id, '--json'], { dataDir })).stdout) as {
      status: string;
      startedAt: string;
      endedAt: string;
      durationMs: number;
    };

    expect(shown.status).toBe('interrupted');
    const endedAt = Date.parse(shown.endedAt);
    expect(endedAt).toBeLessThanOrEqual(killedAt);
    // Its last sign of life: a resource sample (every second) or the heartbeat (every 5 s).
    expect(endedAt).toBeGreaterThan(killedAt - 3000);
    expect(endedAt).toBeLessThan(noticedAt - 4000);
    expect(shown.durationMs).toBe(endedAt - Date.parse(shown.startedAt));
    await expect.poll(() => isAlive(Number(fs.readFileSync(pidFile, 'utf8'))), { timeout: 5000 }).toBe(false);
  }, 60_000);
});
