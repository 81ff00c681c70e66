import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { childEnvironment, INHERIT_ALL, type ChildEnvironmentPolicy } from './child-environment.js';
import type { ProcessExit, SpawnProcess, SpawnRequest, SpawnedProcess } from './spawn-process.js';

/**
 * The helper's whole program. It spawns what it is asked to and passes the two pipes back over the
 * IPC channel (SCM_RIGHTS), closing its own copies: output never goes through it. It exits with
 * the channel, so it cannot outlive the server.
 */
const HELPER_SOURCE = `
const { spawn } = require('node:child_process');
const { readlinkSync } = require('node:fs');
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
const send = (message, handle) => {
  if (process.connected) process.send(message, handle);
};
process.on('message', (m) => {
  if (!m || m.type !== 'spawn') return;
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
  // A pipe socket starts reading as soon as it is made (net.Socket calls read(0)); stop that
  // before the loop runs, or output read here would be lost when the handle is sent.
  for (const stream of [child.stdout, child.stderr]) {
    if (stream && stream._handle) {
      stream._handle.reading = false;
      stream._handle.readStop();
    }
  }
  let spawned = false;
  child.once('error', (e) => { if (!spawned) failed(e); });
  child.once('spawn', () => {
    spawned = true;
    // Handles go out one at a time (each waits for an ack): until then nothing may read them, and
    // the exit of a quick process would ("flushStdio" resumes every stdio stream).
    const [, stdout, stderr] = child.stdio;
    child.stdio[1] = child.stdio[2] = null;
    send({ type: 'pipe', id: m.id, stream: 'stdout' }, stdout);
    send({ type: 'pipe', id: m.id, stream: 'stderr' }, stderr);
    send({ type: 'spawned', id: m.id, pid: child.pid, outputs });
  });
  child.once('exit', (code, signal) => send({ type: 'exit', id: m.id, code, signal }));
});
`;

type HelperMessage =
  | { type: 'pipe'; id: number; stream: 'stdout' | 'stderr' }
  | { type: 'spawned'; id: number; pid: number; outputs: string[] }
  | { type: 'failed'; id: number; code: string | null; message: string }
  | { type: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null };

interface PendingSpawn {
  resolve(process: SpawnedProcess): void;
  reject(error: Error): void;
  resolveExit(exit: ProcessExit): void;
  exit: Promise<ProcessExit>;
  stdout?: Readable;
  stderr?: Readable;
  started: boolean;
}

export interface SpawnHelper {
  spawn: SpawnProcess;
  /** The helper's pid while it runs (it starts with the first spawn). */
  readonly pid: number | undefined;
  /** Ends the helper; processes it started keep running (their pipes are ours). */
  close(): void;
}

/** What a process started by a helper that died is reported as: its exit status is lost. */
export const HELPER_LOST_EXIT: ProcessExit = { code: null, signal: null };

/**
 * A received pipe starts reading at once, and the process may end before whoever reads its output
 * is attached (that takes a few loop turns: each handle waits for an ack). Piping it into a
 * PassThrough keeps the data and the EOF until then, as a local child's stdout does.
 */
function holdOutput(pipe: Socket): Readable {
  const held = new PassThrough();
  pipe.pipe(held);
  // A read error ends the output like EOF; the reader giving up closes the pipe.
  pipe.on('error', () => held.end());
  held.on('close', () => pipe.destroy());
  return held;
}

/**
 * Spawns through a small Node process started on first use. A fork from the server copies its page
 * tables and libuv then waits for the child's exec: measured 2 ms on an idle machine and 20–40 ms
 * when the cores are busy, during which the event loop stands still (200 executions started at
 * once froze the API for seconds). The helper takes that wait; the server only receives the pipes.
 * If the helper dies, the processes it had started are reported as exited with no status and the
 * next spawn starts a new helper.
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

  // The channel keeps this process alive exactly while a process of ours runs or starts.
  const forget = (id: number): void => {
    pending.delete(id);
    if (pending.size === 0) helper?.channel?.unref();
  };

  const onMessage = (message: HelperMessage, handle: unknown): void => {
    const entry = pending.get(message.id);
    if (entry === undefined) return;
    switch (message.type) {
      case 'pipe':
        entry[message.stream] = holdOutput(handle as Socket);
        break;
      case 'spawned':
        entry.started = true;
        entry.resolve({
          pid: message.pid,
          stdout: entry.stdout!,
          stderr: entry.stderr!,
          outputs: message.outputs,
          exit: entry.exit,
        });
        break;
      case 'failed':
        forget(message.id);
        entry.reject(Object.assign(new Error(message.message), { code: message.code ?? undefined }));
        break;
      case 'exit':
        forget(message.id);
        entry.resolveExit({ code: message.code, signal: message.signal });
        break;
    }
  };

  const onHelperExit = (exited: ChildProcess): void => {
    if (helper === exited) helper = undefined;
    for (const [id, entry] of pending) {
      pending.delete(id);
      if (entry.started) entry.resolveExit(HELPER_LOST_EXIT);
      else entry.reject(new Error('the process helper exited before the command started'));
    }
  };

  const start = (): ChildProcess => {
    const child = spawn(process.execPath, ['--max-semi-space-size=1', '-e', HELPER_SOURCE], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
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

  return {
    spawn(request: SpawnRequest) {
      return new Promise<SpawnedProcess>((resolve, reject) => {
        helper ??= start();
        const id = nextId++;
        let resolveExit!: (exit: ProcessExit) => void;
        const exit = new Promise<ProcessExit>((r) => (resolveExit = r));
        pending.set(id, { resolve, reject, resolveExit, exit, started: false });
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
