import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExecutionBody, LogPageBody } from '../../src/protocol/api-schemas.js';
import { listeningUrl, SERVER_ENV, startCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { call, FIXTURES, startExecution, waitFor } from './execution-api-client.js';
import { taggedPids } from '../helpers/processes.js';

const tempDir = useTempDirs();

/** Starts the built CLI's server on port 0 and resolves with the URL it prints. */
async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const { child } = startCli(['server', '--port', '0'], { dataDir, env: SERVER_ENV });
  const url = await listeningUrl(child);
  return { child, url };
}

function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  return exited;
}

describe('a server killed mid-run (built CLI: run `npm run build` first)', () => {
  it('restarts with the run marked interrupted, its committed lines kept and its script stopped', async () => {
    const dataDir = tempDir();
    const first = await startServer(dataDir);
    let execution: ExecutionBody;
    let seen: LogPageBody['lines'];
    try {
      execution = await startExecution(first.url, {
        argv: [path.join(FIXTURES, 'numbered-lines.sh'), '10000', '0.02'],
      });
      seen = await waitFor(async () => {
        const page = await call<LogPageBody>(first.url, 'GET', `/api/executions/${execution.id}/logs`);
        return page.body.lines.length >= 10 ? page.body.lines : undefined;
      }, 'ten committed lines');
    } finally {
      await stop(first.child, 'SIGKILL');
    }

    const second = await startServer(dataDir);
    try {
      const shown = await call<ExecutionBody>(second.url, 'GET', `/api/executions/${execution.id}`);
      expect(shown.body).toMatchObject({ status: 'interrupted', endedAt: expect.any(String) });
      const after = await call<LogPageBody>(
        second.url,
        'GET',
        `/api/executions/${execution.id}/logs?limit=10000`,
      );
      expect(after.body.lines.slice(0, seen.length)).toEqual(seen);
      expect(after.body.lines.length).toBe(shown.body.lineCount);
      const text = await call<string>(second.url, 'GET', `/api/executions/${execution.id}/logs?format=text`);
      expect(text.body.startsWith(seen.map((l) => `${l.text}\n`).join(''))).toBe(true);
      // The orphaned script is ended by the restart (SIGTERM to everything carrying the run's tag).
      await waitFor(async () => taggedPids(execution.id).length === 0, 'the orphaned script to end');
      // A follower of an interrupted run ends at once.
      const followed = await fetch(`${second.url}/api/executions/${execution.id}/logs?format=text&follow=1`);
      expect(await followed.text()).toBe(text.body);
    } finally {
      await stop(second.child, 'SIGTERM');
    }
  });
});
