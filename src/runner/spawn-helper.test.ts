import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createSpawnHelper, HELPER_LOST_EXIT, type SpawnHelper } from './spawn-helper.js';
import type { SpawnedProcess } from './spawn-process.js';

const helpers: SpawnHelper[] = [];
afterEach(() => {
  for (const helper of helpers.splice(0)) helper.close();
});

function newHelper(): SpawnHelper {
  const helper = createSpawnHelper();
  helpers.push(helper);
  return helper;
}

const shell = (script: string) => ({ file: '/bin/sh', args: ['-c', script], cwd: '/tmp', env: process.env });

async function outputOf(started: SpawnedProcess): Promise<string> {
  let text = '';
  started.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  started.stderr.resume();
  await new Promise((resolve) => started.stdout.on('close', resolve));
  return text;
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await sleep(20);
  return !existsSync(`/proc/${pid}`);
}

describe('spawn helper', () => {
  it('starts the helper on the first spawn and hands over output and exit status', async () => {
    const helper = newHelper();
    expect(helper.pid).toBeUndefined();
    const started = await helper.spawn(shell('echo from the child; exit 7'));
    expect(helper.pid).toBeGreaterThan(0);
    expect(started.pid).not.toBe(helper.pid);
    expect(await outputOf(started)).toBe('from the child\n');
    expect(await started.exit).toEqual({ code: 7, signal: null });
  });

  it('reports a program that cannot start with its system error code', async () => {
    const helper = newHelper();
    await expect(helper.spawn({ ...shell(''), file: '/no/such/program' })).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('ends runs it started with no status when it is killed, and the next spawn starts a new one', async () => {
    const helper = newHelper();
    const started = await helper.spawn(shell('sleep 30'));
    const first = helper.pid!;
    process.kill(first, 'SIGKILL');
    expect(await started.exit).toEqual(HELPER_LOST_EXIT);
    // The script itself is not ours to end here: runProcess ends the tree when exit resolves.
    process.kill(-started.pid, 'SIGKILL');
    const next = await helper.spawn(shell('echo again'));
    expect(helper.pid).not.toBe(first);
    expect(await outputOf(next)).toBe('again\n');
  });

  it('exits when it is closed, leaving running processes alone and their output ended', async () => {
    const helper = newHelper();
    const started = await helper.spawn(shell('sleep 30'));
    const pid = helper.pid!;
    helper.close();
    expect(await gone(pid)).toBe(true);
    // Nothing reads it any more: the output ends, the process is the caller's to end.
    expect(await outputOf(started)).toBe('');
    expect(existsSync(`/proc/${started.pid}`)).toBe(true);
    process.kill(-started.pid, 'SIGKILL');
  });

  it('keeps reading a script while this process is busy, so its writes never wait for us', async () => {
    const helper = newHelper();
    // One line (a timestamp) per write, as a shell loop of printf writes, for 700 ms.
    const script = `
      const { writeSync } = require('node:fs');
      const end = Date.now() + 700;
      for (let now = Date.now(); now < end; now = Date.now()) writeSync(1, String(now).padEnd(79) + '\\n');
    `;
    const started = await helper.spawn({
      file: process.execPath,
      args: ['-e', script],
      cwd: '/tmp',
      env: {},
    });
    const chunks: Buffer[] = [];
    started.stderr.resume();
    const first = new Promise((resolve) => started.stdout.once('data', resolve));
    started.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    await first;
    // Block this loop as a GC pause or a long commit would, only longer: 300 ms.
    const until = Date.now() + 300;
    while (Date.now() < until);
    await new Promise((resolve) => started.stdout.once('close', resolve));
    const stamps = Buffer.concat(chunks)
      .toString()
      .trimEnd()
      .split('\n')
      .map((line) => Number(line.trim()));
    const longestGap = stamps.reduce(
      (longest, stamp, i) => Math.max(longest, stamp - (stamps[i - 1] ?? stamp)),
      0,
    );
    // A socketpair holds ~280 such writes: read by this blocked loop, the script would stop ~300 ms.
    expect(stamps.length).toBeGreaterThan(1000);
    expect(longestGap).toBeLessThan(100);
    expect(await started.exit).toEqual({ code: 0, signal: null });
  });

  it('closes the output of the script when the reader gives it up, so its next write fails', async () => {
    const helper = newHelper();
    const started = await helper.spawn(shell('sleep 0.3; echo late; sleep 30'));
    started.stderr.resume();
    started.stdout.destroy();
    expect(await started.exit).toEqual({ code: null, signal: 'SIGPIPE' });
  });
});
