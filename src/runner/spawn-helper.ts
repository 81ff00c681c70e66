import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { childEnvironment, INHERIT_ALL, type ChildEnvironmentPolicy } from './child-environment.js';
import type { ProcessExit, SpawnProcess, SpawnRequest, SpawnedProcess } from './spawn-process.js';

/** What the helper holds per run while the server has not taken it, before it stops reading. */
const RELAY_LIMIT_BYTES = 64 * 1024 * 1024;
/** Gathered reads are sent at the end of the helper's loop turn, or as soon as they reach this. */
const RELAY_FLUSH_BYTES = 256 * 1024;

/**
 * The helper's whole program. It spawns what it is asked to, keeps reading the child's stdout and
 * stderr and relays them to the server over the IPC channel in big messages. Node's child stdio
 * are socketpairs that hold only ~22 KB of small writes (each write costs a whole buffer), about
 * 1.4 ms of a script printing one line per write: any longer pause of the server's loop (a GC
 * scavenge, a commit) used to block the script's write(). This process does nothing else, so it
 * reads as fast as a bare reader would, and holds what the server has not taken yet, up to
 * RELAY_LIMIT bytes per run (then it stops reading: the script blocks, as before). It exits with
 * the channel, so it cannot outlive the server.
 */
const HELPER_SOURCE = `
const { spawn } = require('node:child_process');
const { readlinkSync } = require('node:fs');
const RELAY_LIMIT = ${RELAY_LIMIT_BYTES};
const FLUSH_BYTES = ${RELAY_FLUSH_BYTES};
// As proc-stat.ts's readOutputLinks (this program cannot import it).
const outputLinks = (pid) => [1, 2].flatMap((fd) => {
  try {
    const link = readlinkSync('/proc/' + pid + '/fd/' + fd);
    return link.startsWith('socket:[') || link.startsWith('pipe:[') ? [link] : [];
  } catch {
    return [];
  }
});
process.on('disconnect', () => process.exit(0));
const send = (message, done) => {
  if (process.connected) process.send(message, undefined, {}, done);
};
const runs = new Map();
// Reads are small (a script writing one line per write() is read a few lines at a time): they are
// gathered and sent once per loop turn, or sooner when big, so the server handles few messages.
const relay = (id, name, stream) => {
  const run = runs.get(id);
  let parts = [];
  let size = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (size === 0) return;
    const chunk = parts.length === 1 ? parts[0] : Buffer.concat(parts, size);
    const bytes = size;
    parts = [];
    size = 0;
    run.held += bytes;
    if (run.held > RELAY_LIMIT) run.pause();
    send({ type: 'data', id, stream: name, chunk }, () => {
      run.held -= bytes;
      if (run.held <= RELAY_LIMIT / 2) run.resume();
    });
  };
  stream.on('data', (chunk) => {
    parts.push(chunk);
    size += chunk.length;
    if (size >= FLUSH_BYTES) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  // A read error ends the output like EOF.
  stream.on('error', () => {});
  stream.once('close', () => {
    flush();
    send({ type: 'eof', id, stream: name });
    if (--run.open === 0) runs.delete(id);
  });
};
process.on('message', (m) => {
  if (!m) return;
  if (m.type === 'close') {
    // The server gave up this run's output (closeSilentPipes): close our side, so its writers see it.
    const run = runs.get(m.id);
    if (run) for (const stream of run.streams) stream.destroy();
    return;
  }
  if (m.type !== 'spawn') return;
  const failed = (e) => send({ type: 'failed', id: m.id, code: e.code ?? null, message: e.message });
  let child;
  try {
    child = spawn(m.file, m.args, { cwd: m.cwd, env: m.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    failed(e);
    return;
  }
  // spawn() returns once the child has called exec: read its fds 1 and 2 before it can change them.
  const outputs = child.pid === undefined ? [] : outputLinks(child.pid);
  let spawned = false;
  child.once('error', (e) => { if (!spawned) failed(e); });
  child.once('spawn', () => {
    spawned = true;
    const [, stdout, stderr] = child.stdio;
    // Ours alone from here: the exit of the child must not "flush" (resume) them behind our back.
    child.stdio[1] = child.stdio[2] = null;
    const streams = [stdout, stderr];
    const run = {
      streams,
      held: 0,
      open: 2,
      paused: false,
      pause() { if (!run.paused) { run.paused = true; for (const s of streams) s.pause(); } },
      resume() { if (run.paused) { run.paused = false; for (const s of streams) s.resume(); } },
    };
    runs.set(m.id, run);
    send({ type: 'spawned', id: m.id, pid: child.pid, outputs });
    relay(m.id, 'stdout', stdout);
    relay(m.id, 'stderr', stderr);
  });
  child.once('exit', (code, signal) => send({ type: 'exit', id: m.id, code, signal }));
});
`;

type HelperMessage =
  | { type: 'spawned'; id: number; pid: number; outputs: string[] }
  | { type: 'data'; id: number; stream: 'stdout' | 'stderr'; chunk: Uint8Array }
  | { type: 'eof'; id: number; stream: 'stdout' | 'stderr' }
  | { type: 'failed'; id: number; code: string | null; message: string }
  | { type: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null };

interface PendingSpawn {
  resolve(process: SpawnedProcess): void;
  reject(error: Error): void;
  resolveExit(exit: ProcessExit): void;
  exit: Promise<ProcessExit>;
  stdout: PassThrough;
  stderr: PassThrough;
  started: boolean;
  exited: boolean;
}

export interface SpawnHelper {
  spawn: SpawnProcess;
  /** The helper's pid while it runs (it starts with the first spawn). */
  readonly pid: number | undefined;
  /** Ends the helper; processes it started keep running, but their output is no longer read. */
  close(): void;
}

/** What a process started by a helper that died is reported as: its exit status is lost. */
export const HELPER_LOST_EXIT: ProcessExit = { code: null, signal: null };

/** A relayed output at its end, or given up by its reader. */
const finished = (stream: PassThrough): boolean => stream.writableEnded || stream.destroyed;
const endOutput = (stream: PassThrough): void => {
  if (!stream.destroyed) stream.end();
};

/**
 * Spawns through a small Node process started on first use. A fork from the server copies its page
 * tables and libuv then waits for the child's exec: measured 2 ms on an idle machine and 20–40 ms
 * when the cores are busy, during which the event loop stands still (200 executions started at
 * once froze the API for seconds). The helper takes that wait, and reads the output (see
 * HELPER_SOURCE). If the helper dies, the processes it had started are reported as exited with no
 * status, their output ends there, and the next spawn starts a new helper.
 */
export function createSpawnHelper({
  environment = INHERIT_ALL,
}: {
  /** The runs' policy, which the helper's own environment follows too. */
  environment?: ChildEnvironmentPolicy;
} = {}): SpawnHelper {
  let helper: ChildProcess | undefined;
  let nextId = 1;
  const pending = new Map<number, PendingSpawn>();

  // The channel keeps this process alive exactly while a process of ours runs, starts or has
  // output on its way.
  const forgetIfDone = (id: number, entry: PendingSpawn): void => {
    if (!entry.exited || !finished(entry.stdout) || !finished(entry.stderr)) return;
    pending.delete(id);
    if (pending.size === 0) helper?.channel?.unref();
  };

  const onMessage = (message: HelperMessage): void => {
    const entry = pending.get(message.id);
    if (entry === undefined) return;
    switch (message.type) {
      case 'data': {
        const chunk = message.chunk;
        const stream = entry[message.stream];
        // A reader that gave up (destroyed) takes nothing more.
        if (!stream.destroyed) stream.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        break;
      }
      case 'eof':
        endOutput(entry[message.stream]);
        forgetIfDone(message.id, entry);
        break;
      case 'spawned':
        entry.started = true;
        entry.resolve({
          pid: message.pid,
          stdout: entry.stdout,
          stderr: entry.stderr,
          outputs: message.outputs,
          exit: entry.exit,
        });
        break;
      case 'failed':
        entry.exited = true;
        endOutput(entry.stdout);
        endOutput(entry.stderr);
        forgetIfDone(message.id, entry);
        entry.reject(Object.assign(new Error(message.message), { code: message.code ?? undefined }));
        break;
      case 'exit':
        entry.exited = true;
        forgetIfDone(message.id, entry);
        entry.resolveExit({ code: message.code, signal: message.signal });
        break;
    }
  };

  const onHelperExit = (exited: ChildProcess): void => {
    if (helper === exited) helper = undefined;
    for (const [id, entry] of pending) {
      pending.delete(id);
      // What the helper still held is gone with it: the output ends here.
      endOutput(entry.stdout);
      endOutput(entry.stderr);
      if (entry.started) entry.resolveExit(HELPER_LOST_EXIT);
      else entry.reject(new Error('the process helper exited before the command started'));
    }
  };

  const start = (): ChildProcess => {
    const child = spawn(process.execPath, ['--max-semi-space-size=1', '-e', HELPER_SOURCE], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Buffers go through the channel as bytes (JSON would spell out every byte).
      serialization: 'advanced',
      // The helper is the scripts' parent and its /proc/<pid>/environ is readable to them: it holds
      // no more than a run gets (its children get the environment of each request). A helper
      // started under a test runner or a profiler must not inherit its hooks.
      env: childEnvironment({
        parent: process.env,
        policy: environment,
        runEnv: { NODE_OPTIONS: '' },
        stepflowVars: {},
      }),
    });
    child.on('message', onMessage);
    child.once('exit', () => onHelperExit(child));
    // A failed spawn of the helper itself comes as 'error' then 'exit' (or 'close'): end the waiters.
    child.once('error', () => onHelperExit(child));
    child.unref();
    return child;
  };

  /** The reader gave up the output (runProcess's closeSilentPipes): the helper closes its side. */
  const outputFor = (id: number): PassThrough => {
    const stream = new PassThrough();
    stream.once('close', () => {
      if (stream.writableEnded) return;
      if (helper?.connected) helper.send({ type: 'close', id });
      const entry = pending.get(id);
      if (entry !== undefined) forgetIfDone(id, entry);
    });
    return stream;
  };

  return {
    spawn(request: SpawnRequest) {
      return new Promise<SpawnedProcess>((resolve, reject) => {
        helper ??= start();
        const id = nextId++;
        let resolveExit!: (exit: ProcessExit) => void;
        const exit = new Promise<ProcessExit>((r) => (resolveExit = r));
        pending.set(id, {
          resolve,
          reject,
          resolveExit,
          exit,
          stdout: outputFor(id),
          stderr: outputFor(id),
          started: false,
          exited: false,
        });
        helper.channel?.ref();
        helper.send({ type: 'spawn', id, ...request });
      });
    },
    get pid() {
      return helper?.pid;
    },
    close() {
      helper?.disconnect();
      helper = undefined;
    },
  };
}
