import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ExecutionDetailBody, ExecutionPageBody } from '../../src/protocol/api-schemas.js';
import { isAlive, taggedPids } from '../helpers/processes.js';
import { runCli, startCli, waitForOutput } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';

// Temp dirs first: hooks run in reverse, so the servers are closed before their dirs go.
const tempDir = useTempDirs();
const startServer = useTestServers();

/** A script whose background child would outlive a careless kill; it says when it is ready. */
const longScript = (pidFile: string) => `sleep 60 & echo $! > ${pidFile}; echo ready; wait`;

async function api<T>(server: TestServer, method: string, url: string, body?: unknown) {
  const response = await fetch(`${server.url}${url}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** The one running execution the server's API lists (started by another process). */
async function runningId(server: TestServer): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const page = await api<ExecutionPageBody>(server, 'GET', '/api/executions?status=running');
    if (page.body.items.length === 1) return page.body.items[0]!.id;
    await sleep(50);
  }
  throw new Error('no running execution listed');
}

async function waitForPid(pidFile: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const text = fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8').trim() : '';
    if (text !== '') return Number(text);
    await sleep(50);
  }
  throw new Error(`${pidFile} never written`);
}

describe('cancel from anywhere', () => {
  it('stops a `stepflow run` in another process when the server is asked: 202, the CLI exits 130 within about a second', async () => {
    const dataDir = tempDir();
    const server = await startServer({ dataDir });
    const pidFile = path.join(tempDir(), 'child.pid');
    const cli = startCli(['run', '--name', 'long', '--', longScript(pidFile)], {
      dataDir,
      env: { STEPFLOW_KILL_GRACE_MS: '500' },
    });
    await waitForOutput(cli.child, (out) => out.includes('ready'));
    const id = await runningId(server);
    const child = await waitForPid(pidFile);

    const requestedAt = Date.now();
    const cancel = await api<ExecutionDetailBody>(server, 'POST', `/api/executions/${id}/cancel`);
    expect(cancel.status).toBe(202);
    expect(cancel.body).toMatchObject({ id, status: 'running' });

    const run = await cli.result;
    const exitedAfterMs = Date.now() - requestedAt;
    expect(run.code).toBe(130);
    expect(run.stdout).toContain(
      'Cancelled: requested from another process (the dashboard, the API or stepflow cancel)',
    );
    const shown = (await api<ExecutionDetailBody>(server, 'GET', `/api/executions/${id}`)).body;
    expect(shown.status).toBe('cancelled');
    // The owner looks every 250 ms; then SIGTERM ends the tree at once. The margins are for a
    // loaded machine (typical: ended ~0.3 s, CLI gone ~0.5 s after the request).
    expect(Date.parse(shown.endedAt!) - requestedAt).toBeLessThan(1500);
    expect(exitedAfterMs).toBeLessThan(3000);
    expect(isAlive(child)).toBe(false);
    expect(taggedPids(id)).toEqual([]);
  });

  it('stops a run of the server when `stepflow cancel` in another process asks', async () => {
    const dataDir = tempDir();
    const work = tempDir();
    const server = await startServer({ dataDir });
    const pidFile = path.join(work, 'child.pid');
    const started = await api<ExecutionDetailBody>(server, 'POST', '/api/executions', {
      command: longScript(pidFile),
      cwd: work,
    });
    expect(started.status).toBe(201);
    const { id } = started.body;
    const child = await waitForPid(pidFile);

    const cancel = await runCli(['cancel', id], { dataDir });
    expect(cancel.stderr).toBe('');
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(
      new RegExp(
        `^cancel requested for ${id}; the process running it \\(pid ${process.pid} on .+\\) stops it\n`,
      ),
    );
    expect(cancel.stdout).toMatch(new RegExp(`⊘ cancelled .+ ${id}\n$`));

    const shown = (await api<ExecutionDetailBody>(server, 'GET', `/api/executions/${id}`)).body;
    expect(shown).toMatchObject({ status: 'cancelled' });
    expect(shown.error).toMatch(/^Cancelled: requested from another process/);
    expect(isAlive(child)).toBe(false);
  });

  it('`stepflow cancel` refuses an ended or unknown run, and with --no-wait returns once the request is recorded', async () => {
    const dataDir = tempDir();
    const done = await runCli(['run', '--', 'true'], { dataDir });
    const [ended] = (
      JSON.parse((await runCli(['ls', '--json'], { dataDir })).stdout) as { items: { id: string }[] }
    ).items;
    expect(done.code).toBe(0);

    const refused = await runCli(['cancel', ended!.id], { dataDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `stepflow: conflict: execution ${ended!.id} has already ended (succeeded); there is nothing to cancel\n`,
    );
    const unknown = await runCli(['cancel', '01unknown'], { dataDir });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/not_found/);

    const pidFile = path.join(tempDir(), 'child.pid');
    const cli = startCli(['run', '--', longScript(pidFile)], {
      dataDir,
      env: { STEPFLOW_KILL_GRACE_MS: '500' },
    });
    await waitForOutput(cli.child, (out) => out.includes('ready'));
    const [running] = (
      JSON.parse((await runCli(['ls', '--json', '--status', 'running'], { dataDir })).stdout) as {
        items: { id: string }[];
      }
    ).items;
    const noWait = await runCli(['cancel', '--no-wait', running!.id], { dataDir });
    expect(noWait.code).toBe(0);
    expect(noWait.stdout).toMatch(
      /^cancel requested for \w+; the process running it \(pid \d+ on .+\) stops it\n$/,
    );
    expect((await cli.result).code).toBe(130);
  });

  it('stops a `stepflow run --server` when its server is asked: the next report carries the request', async () => {
    const server = await startServer();
    const work = tempDir();
    const pidFile = path.join(work, 'child.pid');
    const cli = startCli(['run', '--server', server.url, '--', longScript(pidFile)], {
      dataDir: path.join(work, 'unused-data'),
      cwd: work,
      env: { STEPFLOW_SPOOL_DIR: tempDir(), STEPFLOW_KILL_GRACE_MS: '500' },
    });
    await waitForOutput(cli.child, (out) => out.includes('ready'));
    const id = await runningId(server);
    const child = await waitForPid(pidFile);

    const requestedAt = Date.now();
    const cancel = await api<ExecutionDetailBody>(server, 'POST', `/api/executions/${id}/cancel`);
    expect(cancel.status).toBe(202);

    const run = await cli.result;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain(`stepflow: cancel requested on ${server.url}; stopping ${id}`);
    const shown = (await api<ExecutionDetailBody>(server, 'GET', `/api/executions/${id}`)).body;
    expect(shown.status).toBe('cancelled');
    expect(shown.error).toBe(`Cancelled: requested on ${server.url}; the process tree was stopped.`);
    // A remote client reports at least every ~2 s (its resource samples): seen by then.
    expect(Date.parse(shown.endedAt!) - requestedAt).toBeLessThan(4500);
    expect(isAlive(child)).toBe(false);
  });
});
