import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { listeningUrl, SERVER_ENV, startCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { taggedPids } from '../helpers/processes.js';

const tempDir = useTempDirs();

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('stepflow server lifecycle', () => {
  it('on SIGTERM cancels running and queued executions, records them, closes the store and exits 0', async () => {
    const dataDir = tempDir();
    const { child, result } = startCli(['server', '--port', '0'], {
      dataDir,
      env: { ...SERVER_ENV, MAX_CONCURRENT_TASKS: '1', STEPFLOW_KILL_GRACE_MS: '2000' },
    });
    try {
      const url = await listeningUrl(child);
      const submit = async (): Promise<string> => {
        const response = await fetch(`${url}/api/executions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ command: 'sleep 30' }),
        });
        expect(response.status, await response.clone().text()).toBe(201);
        return ((await response.json()) as { id: string }).id;
      };
      const running = await submit();
      const queued = await submit();
      await waitFor(async () => {
        const metrics = (await (await fetch(`${url}/api/health/metrics`)).json()) as {
          executions: { active: number; queued: number };
        };
        return metrics.executions.active === 1 && metrics.executions.queued === 1;
      }, 'one running and one queued execution');
      await waitFor(async () => taggedPids(running).length > 0, 'the sleep process');

      const signalledAt = Date.now();
      child.kill('SIGTERM');
      const exit = await result;
      expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
      expect(Date.now() - signalledAt).toBeLessThan(5000);
      expect(exit.stderr).toContain('SIGTERM: shutting down');

      // The last connection closed cleanly: SQLite folded the WAL back and removed it.
      expect(fs.existsSync(path.join(dataDir, 'stepflow.db-wal'))).toBe(false);
      expect(taggedPids(running)).toEqual([]);

      const store = await openSqliteStore({ dataDir });
      try {
        const ran = await store.getExecution(running);
        expect(ran).toMatchObject({ status: 'cancelled', endedAt: expect.any(String) });
        expect(ran?.steps.every((step) => step.status !== 'running' && step.endedAt !== null)).toBe(true);
        const log = await store.readLog(running);
        expect(log.lines.length).toBe(ran?.lineCount);
        expect(log.lines.at(-1)?.text).toContain('Cancelled');
        expect(await store.getExecution(queued)).toMatchObject({ status: 'cancelled', startedAt: null });
        // Nothing was left for a later start to mark interrupted.
        expect(await store.recoverInterrupted(() => false)).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('exits non-zero with a clear message when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const dataDir = tempDir();
      const { child, result } = startCli(['server', '--port', String(port)], { dataDir, env: SERVER_ENV });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const exit = await result;
      clearTimeout(timer);
      expect(exit.signal).toBeNull();
      expect(exit.code).toBe(1);
      expect(exit.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the port is already in use`);
      expect(exit.stdout).not.toContain('listening');
      expect(fs.existsSync(path.join(dataDir, 'stepflow.db-wal'))).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
