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

  it('exits when it is closed, leaving running processes alone', async () => {
    const helper = newHelper();
    const started = await helper.spawn(shell('sleep 0.3; echo still here'));
    const pid = helper.pid!;
    helper.close();
    expect(await gone(pid)).toBe(true);
    expect(await outputOf(started)).toBe('still here\n');
  });
});
