import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProcessMonitor } from './process-monitor.js';
import { runProcess, type OutputStream, type RunProcessOptions } from './run-process.js';
import { createSpawnHelper } from './spawn-helper.js';
import { spawnLocal, type SpawnProcess } from './spawn-process.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/runner/', import.meta.url));
const fixture = (name: string): string => join(fixtures, name);
const monitor = createProcessMonitor({ intervalMs: 100 });
const helper = createSpawnHelper();
afterAll(() => {
  monitor.close();
  helper.close();
});

interface Captured {
  stdout: string[];
  stderr: string[];
  pieces: { stream: OutputStream; bytes: number; continues: boolean }[];
  /** Highest Buffer memory of this process seen while pieces arrived. */
  peakArrayBuffers: number;
}

type RunOptions = Omit<RunProcessOptions, 'tag' | 'monitor' | 'onOutput' | 'onPiece' | 'cwd' | 'spawn'> & {
  cwd?: string;
};

// Every behaviour holds whichever way the process is started: from this process (the CLI) or
// through the spawn helper (the server).
let spawner: SpawnProcess = spawnLocal;

function start(options: RunOptions) {
  const tag = `test-${randomUUID()}`;
  const captured: Captured = { stdout: [], stderr: [], pieces: [], peakArrayBuffers: 0 };
  const running = runProcess({
    cwd: fixtures,
    ...options,
    tag,
    monitor,
    spawn: spawner,
    onOutput(stream, lines) {
      for (const line of lines) captured[stream].push(line);
    },
    onPiece(stream, text, continues) {
      captured.pieces.push({ stream, bytes: Buffer.byteLength(text), continues });
      captured.peakArrayBuffers = Math.max(captured.peakArrayBuffers, process.memoryUsage().arrayBuffers);
    },
  });
  return { tag, captured, running };
}

async function run(options: RunOptions) {
  const { tag, captured, running } = start(options);
  return { tag, captured, result: await running.done };
}

/** Pids whose environment carries the tag, read straight from /proc. */
function tagged(tag: string): number[] {
  const needle = Buffer.from(`STEPFLOW_EXECUTION_ID=${tag}\0`);
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`).includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Pids whose command line is exactly `argv` (a zombie has none). */
function running(argv: string[]): number[] {
  const wanted = Buffer.from(`${argv.join('\0')}\0`);
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`).equals(wanted);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Polls `probe` until it holds or `timeoutMs` passed; returns its last answer. */
async function eventually(probe: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!probe() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return probe();
}

/** A `/bin/sleep` no other test (or other run of this one) starts, to find it in /proc. */
const uniqueSleep = (): string[] => ['/bin/sleep', String(randomInt(100_000, 1_000_000))];

function killAll(argv: string[]): void {
  for (const pid of running(argv)) process.kill(pid, 'SIGKILL');
}

/** Waits until the first stdout line arrives. */
async function firstLine(captured: Captured): Promise<void> {
  while (captured.stdout.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe.each([
  { via: 'spawned from this process', spawn: spawnLocal },
  { via: 'spawned by the helper process', spawn: helper.spawn },
])('runProcess, $via', ({ spawn }) => {
  beforeAll(() => {
    spawner = spawn;
  });

  it('reports the exit code of a successful and a failing script', async () => {
    const ok = await run({ argv: ['bash', fixture('exit-code.sh'), '0'] });
    const failed = await run({ argv: ['bash', fixture('exit-code.sh'), '3'] });
    expect(ok.result).toMatchObject({ outcome: 'exited', exitCode: 0, signal: null, error: null });
    expect(failed.result).toMatchObject({ outcome: 'exited', exitCode: 3, signal: null });
    expect(failed.result.endedAt).toBeGreaterThanOrEqual(failed.result.startedAt);
  });

  it('passes argv to the program without a shell', async () => {
    const args = ['two words', `it's "quoted"`, '$HOME', '*', ''];
    const { captured } = await run({ argv: ['python3', fixture('print-args.py'), ...args] });
    expect(captured.stdout.map((line) => JSON.parse(line) as string)).toEqual(args);
  });

  it('runs a command string through /bin/sh', async () => {
    const { captured, result } = await run({ command: 'echo "$((1 + 2))" && exit 4' });
    expect(captured.stdout).toEqual(['3']);
    expect(result.exitCode).toBe(4);
  });

  it('runs in the given cwd with the given env and the execution tag', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'stepflow-runner-'));
    try {
      const { tag, captured } = await run({
        argv: ['bash', fixture('print-cwd-and-env.sh')],
        cwd,
        env: { GREETING: 'hello there' },
      });
      expect(captured.stdout).toEqual([cwd, 'GREETING=hello there', `TAG=${tag}`]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('builds the environment from the policy: never StepFlow’s own variables', async () => {
    const parent = { STEPFLOW_API_KEY: 'runner-key-7d1', UNLISTED_RUNNER_VARIABLE: 'unlisted-7d1' };
    Object.assign(process.env, parent);
    try {
      const allowList = await run({
        argv: ['env'],
        env: { GREETING: 'hi' },
        environment: { inherit: 'allow-list', passThrough: [], serverOnly: [] },
      });
      const inherited = await run({ argv: ['env'] });
      for (const { captured, tag } of [allowList, inherited]) {
        expect(captured.stdout).toContain(`STEPFLOW_EXECUTION_ID=${tag}`);
        expect(captured.stdout.find((line) => line.startsWith('PATH='))).toBeDefined();
        expect(captured.stdout.join('\n')).not.toContain('runner-key-7d1');
      }
      expect(allowList.captured.stdout).toContain('GREETING=hi');
      expect(allowList.captured.stdout).not.toContain('UNLISTED_RUNNER_VARIABLE=unlisted-7d1');
      expect(inherited.captured.stdout).toContain('UNLISTED_RUNNER_VARIABLE=unlisted-7d1');
    } finally {
      for (const name of Object.keys(parent)) delete process.env[name];
    }
  });

  it('keeps stdout and stderr apart', async () => {
    const { captured } = await run({ argv: ['bash', fixture('stdout-and-stderr.sh')] });
    expect(captured.stdout).toEqual(['to stdout']);
    expect(captured.stderr).toEqual(['to stderr']);
  });

  it('reports a missing working directory as a spawn failure', async () => {
    const { result } = await run({ argv: ['bash', fixture('exit-code.sh')], cwd: '/nonexistent/stepflow' });
    expect(result).toMatchObject({ outcome: 'spawn_failed', exitCode: null, signal: null });
    expect(result.error).toContain('/nonexistent/stepflow');
  });

  it('reports a missing program as a spawn failure', async () => {
    const { result } = await run({ argv: ['stepflow-no-such-program-x'] });
    expect(result).toMatchObject({ outcome: 'spawn_failed', exitCode: null });
    expect(result.error).toContain('stepflow-no-such-program-x');
  });

  it('reports an argument the OS cannot take as a spawn failure', async () => {
    const { result } = await run({ argv: ['echo', 'nul\0byte'] });
    expect(result).toMatchObject({ outcome: 'spawn_failed', exitCode: null });
    expect(result.error).not.toBeNull();
  });

  it('rejects options with both or neither of command and argv', () => {
    expect(() => start({ command: 'true', argv: ['true'] })).toThrow(/exactly one/);
    expect(() => start({})).toThrow(/exactly one/);
  });

  it('times out, ends the whole tree and reports timed_out', async () => {
    const before = Date.now();
    const { tag, result } = await run({ argv: ['bash', fixture('sleep-forever.sh')], timeoutMs: 300 });
    expect(result.outcome).toBe('timed_out');
    expect(result.signal).toBe('SIGTERM');
    expect(Date.now() - before).toBeLessThan(2000);
    expect(tagged(tag)).toEqual([]);
  });

  it('cancels: ends the tree and reports cancelled, once', async () => {
    const { tag, captured, running } = start({ argv: ['bash', fixture('sleep-forever.sh')] });
    await firstLine(captured);
    running.cancel();
    running.cancel();
    const result = await running.done;
    expect(result.outcome).toBe('cancelled');
    expect(captured.stdout).toEqual(['sleeping']);
    expect(tagged(tag)).toEqual([]);
  });

  it('kills a daemon that escaped with setsid and a double fork after the main process exits', async () => {
    const { tag, captured, result } = await run({ argv: ['python3', fixture('escaping-daemon.py')] });
    const daemonPid = Number(captured.stdout[0]?.split(' ')[1]);
    expect(result).toMatchObject({ outcome: 'exited', exitCode: 0 });
    expect(daemonPid).toBeGreaterThan(0);
    expect(tagged(tag)).toEqual([]);
  });

  it('kills an escaped daemon when the run is cancelled', async () => {
    const { tag, captured, running } = start({ argv: ['python3', fixture('escaping-daemon.py'), 'stay'] });
    await firstLine(captured);
    expect(tagged(tag).length).toBeGreaterThanOrEqual(2);
    running.cancel();
    expect((await running.done).outcome).toBe('cancelled');
    expect(tagged(tag)).toEqual([]);
  });

  it('ends a daemon with no tag that left the session, found by the pipes it holds, when the run is cancelled', async () => {
    const daemon = uniqueSleep();
    try {
      const { captured, running: run } = start({
        argv: ['bash', fixture('untagged-setsid-daemon.sh'), daemon[1]!, '300'],
      });
      await firstLine(captured);
      expect(await eventually(() => running(daemon).length === 1, 5000)).toBe(true);
      run.cancel();
      expect((await run.done).outcome).toBe('cancelled');
      expect(await eventually(() => running(daemon).length === 0, 3000)).toBe(true);
    } finally {
      killAll(daemon);
    }
  });

  it('SIGKILLs a daemon with no tag that left the session and ignores SIGTERM', async () => {
    const daemon = uniqueSleep();
    try {
      const { captured, running: run } = start({
        argv: ['bash', fixture('untagged-daemon-ignores-sigterm.sh'), daemon[1]!],
        killGraceMs: 300,
      });
      await firstLine(captured);
      expect(await eventually(() => running(daemon).length === 1, 5000)).toBe(true);
      run.cancel();
      expect((await run.done).outcome).toBe('cancelled');
      expect(await eventually(() => running(daemon).length === 0, 3000)).toBe(true);
    } finally {
      killAll(daemon);
    }
  });

  it('ends a daemon with no tag that left the session when the script exits on its own', async () => {
    const daemon = uniqueSleep();
    try {
      const { captured, result } = await run({
        argv: ['bash', fixture('untagged-setsid-daemon.sh'), daemon[1]!, '0.5'],
      });
      expect(result).toMatchObject({ outcome: 'exited', exitCode: 0 });
      expect(captured.stdout).toEqual(['daemon started']);
      expect(await eventually(() => running(daemon).length === 0, 3000)).toBe(true);
    } finally {
      killAll(daemon);
    }
  });

  it('ends a daemon with no tag and no output of the run that left the group but not the session', async () => {
    const daemon = uniqueSleep();
    try {
      const { result } = await run({ argv: ['bash', fixture('group-leaving-daemon.sh'), daemon[1]!] });
      expect(result).toMatchObject({ outcome: 'exited', exitCode: 0 });
      expect(await eventually(() => running(daemon).length === 0, 3000)).toBe(true);
    } finally {
      killAll(daemon);
    }
  });

  it('SIGKILLs a tree that ignores SIGTERM after the grace period', async () => {
    const { tag, captured, running } = start({
      argv: ['bash', fixture('ignore-sigterm.sh')],
      killGraceMs: 300,
    });
    await firstLine(captured);
    const cancelledAt = Date.now();
    running.cancel();
    const result = await running.done;
    expect(result).toMatchObject({ outcome: 'cancelled', signal: 'SIGKILL', exitCode: null });
    expect(Date.now() - cancelledAt).toBeGreaterThanOrEqual(300);
    expect(Date.now() - cancelledAt).toBeLessThan(2000);
    expect(tagged(tag)).toEqual([]);
  });

  it('finishes promptly when a background child holds stdout open after the main process exits', async () => {
    const before = Date.now();
    const { tag, captured, result } = await run({ argv: ['bash', fixture('background-holds-stdout.sh')] });
    expect(result).toMatchObject({ outcome: 'exited', exitCode: 0 });
    expect(captured.stdout).toEqual(['main done']);
    expect(Date.now() - before).toBeLessThan(2000);
    expect(tagged(tag)).toEqual([]);
  });

  it('finishes promptly when a process with no tag and a session of its own holds stdout open', async () => {
    const pidFile = join(mkdtempSync(join(tmpdir(), 'stepflow-runner-')), 'holder.pid');
    const before = Date.now();
    const { result } = await run({ argv: ['bash', fixture('untraceable-holds-stdout.sh'), pidFile] });
    try {
      expect(result).toMatchObject({ outcome: 'exited', exitCode: 0 });
      expect(Date.now() - before).toBeLessThan(2000);
    } finally {
      // Should the sweep miss the holder, the run must still end; do not leave it behind.
      const holder = Number(readFileSync(pidFile, 'utf8'));
      try {
        process.kill(holder, 'SIGKILL');
      } catch {
        // Already ended by the sweep.
      }
      rmSync(join(pidFile, '..'), { recursive: true, force: true });
    }
  });

  it('streams a 120 MB line as bounded pieces that add up to it', async () => {
    const { captured, result } = await run({ argv: ['python3', fixture('long-line.py')] });
    expect(result.exitCode).toBe(0);
    const stdoutPieces = captured.pieces.filter((p) => p.stream === 'stdout');
    expect(stdoutPieces.reduce((sum, p) => sum + p.bytes, 0)).toBe(120_000_000);
    expect(Math.max(...stdoutPieces.map((p) => p.bytes))).toBeLessThanOrEqual(65_536);
    expect(stdoutPieces.filter((p) => !p.continues)).toHaveLength(1);
    expect(stdoutPieces.at(-1)?.continues).toBe(false);
    expect(captured.stdout).toEqual(['after']);
    // Holding the line would need 120 MB; chunks in flight and not yet collected stay below half
    // of it (30–41 MB measured: from a 1 MB pipe reads come faster than V8 collects them).
    expect(captured.peakArrayBuffers).toBeLessThan(60_000_000);
  });

  it('turns invalid UTF-8 into U+FFFD', async () => {
    const { captured } = await run({ argv: ['python3', fixture('invalid-utf8.py')] });
    expect(captured.stdout).toEqual(['bad \uFFFD\uFFFD bytes', 'café']);
  });

  it('delivers a marker written in two flushed parts as one line', async () => {
    const { captured } = await run({ argv: ['python3', fixture('split-marker.py')] });
    expect(captured.stdout).toEqual(['STEP_START:x']);
  });

  it('keeps the carriage return of CRLF lines', async () => {
    const { captured } = await run({ argv: ['bash', fixture('crlf.sh')] });
    expect(captured.stdout).toEqual(['one\r', 'two\r']);
  });

  it('delivers a last line without a newline before done resolves', async () => {
    const { captured } = await run({ argv: ['bash', fixture('no-final-newline.sh')] });
    expect(captured.stdout).toEqual(['first', 'last']);
  });
});
