import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { outputPipeAddonPath, outputPipeBytes, reserveOutputPipes } from './output-pipes.js';
import { createSpawnHelper, type SpawnHelper } from './spawn-helper.js';
import { spawnLocal, type SpawnedProcess, type SpawnProcess } from './spawn-process.js';

// 600 KB in 7,500 writes of 80 bytes: far past what a socketpair holds (~280 such writes), well
// inside a 1 MB pipe.
const SCRIPT = `i=0; while [ $i -lt 7500 ]; do printf '%079d\\n' $i; i=$((i+1)); done; echo done >&2`;
const shell = (script: string) => ({ file: '/bin/sh', args: ['-c', script], cwd: '/tmp', env: process.env });

const helpers: SpawnHelper[] = [];
afterEach(() => {
  for (const helper of helpers.splice(0)) helper.close();
  delete process.env['STEPFLOW_OUTPUT_PIPE_BYTES'];
});

function viaHelper(): SpawnProcess {
  const helper = createSpawnHelper();
  helpers.push(helper);
  return helper.spawn;
}

async function readAll(started: SpawnedProcess): Promise<{ stdout: string; stderr: string }> {
  const read = (stream: NodeJS.ReadableStream) =>
    new Promise<string>((resolve) => {
      let text = '';
      stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
      stream.on('end', () => resolve(text));
    });
  const [stdout, stderr] = await Promise.all([read(started.stdout), read(started.stderr)]);
  return { stdout, stderr };
}

function expectEveryLine(stdout: string): void {
  const lines = stdout.split('\n');
  expect(lines.pop()).toBe('');
  expect(lines).toHaveLength(7500);
  expect(lines.every((line, i) => line === String(i).padStart(79, '0'))).toBe(true);
}

describe.each([
  ['from this process', () => spawnLocal],
  ['through the spawn helper', viaHelper],
])('output pipes, %s', (_, makeSpawn) => {
  it('is built here (Linux with a compiler): runs get 1 MB pipes, not socketpairs', async () => {
    // The CI machines build it at `npm install`; without it every run would silently be slower.
    expect(outputPipeAddonPath()).toMatch(/native[/]output-pipe/);
    const started = await makeSpawn()(shell('sleep 0.2'));
    const output = readAll(started);
    const links = started.outputs;
    expect(links).toHaveLength(2);
    for (const link of links) expect(link).toMatch(/^pipe:\[\d+\]$/);
    await started.exit;
    expect(await output).toEqual({ stdout: '', stderr: '' });
  });

  it('lets a one-line-per-write script finish while nobody reads, and keeps every line', async () => {
    const started = await makeSpawn()(shell(SCRIPT));
    // The reader is "busy" (not reading) for the whole script: it must still run to its end.
    const exited = await Promise.race([started.exit, sleep(10_000).then(() => 'blocked')]);
    expect(exited).toEqual({ code: 0, signal: null });
    const { stdout, stderr } = await readAll(started);
    expectEveryLine(stdout);
    expect(stderr).toBe('done\n');
  });

  it('falls back to Node’s socketpairs with STEPFLOW_OUTPUT_PIPE_BYTES=0, losing nothing', async () => {
    process.env['STEPFLOW_OUTPUT_PIPE_BYTES'] = '0';
    const started = await makeSpawn()(shell(SCRIPT));
    for (const link of started.outputs) expect(link).toMatch(/^socket:\[\d+\]$/);
    const { stdout } = await readAll(started);
    expectEveryLine(stdout);
    expect(await started.exit).toEqual({ code: 0, signal: null });
  });
});

describe('STEPFLOW_OUTPUT_PIPE_BYTES', () => {
  it('names the variable when it is not a whole number of bytes', () => {
    process.env['STEPFLOW_OUTPUT_PIPE_BYTES'] = '1MB';
    expect(() => outputPipeBytes()).toThrow(
      /STEPFLOW_OUTPUT_PIPE_BYTES must be a whole number of bytes.*"1MB"/,
    );
  });

  it('hands out big pipes from a budget of half the user’s pipe limit, and takes them back when a run’s pipes close', async () => {
    // 8 MiB stdout + 2 MiB stderr a run: three runs fit the default budget of 32 MiB, a fourth not.
    const softPages = Number(readFileSync('/proc/sys/fs/pipe-user-pages-soft', 'utf8'));
    expect(softPages).toBe(16384);
    process.env['STEPFLOW_OUTPUT_PIPE_BYTES'] = String(8 << 20);
    const first = await spawnLocal(shell('sleep 0.3'));
    const others = [reserveOutputPipes(), reserveOutputPipes()];
    expect(others.map(({ stdout, stderr }) => ({ stdout, stderr }))).toEqual([
      { stdout: 8 << 20, stderr: 2 << 20 },
      { stdout: 8 << 20, stderr: 2 << 20 },
    ]);
    // The budget is spent: the next run gets the kernel's default pipes.
    const over = reserveOutputPipes();
    expect([over.stdout, over.stderr]).toEqual([0, 0]);
    over.release();
    const output = readAll(first);
    await first.exit;
    await output;
    await new Promise((resolve) => setImmediate(resolve));
    const afterFirst = reserveOutputPipes();
    expect(afterFirst.stdout).toBe(8 << 20);
    for (const reservation of [...others, afterFirst]) reservation.release();
  });
});
