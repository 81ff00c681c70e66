import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import { childEnvironment, INHERIT_ALL, type ChildEnvironmentPolicy } from './child-environment.js';
import {
  outputPipeAddonPath,
  releaseWhenClosed,
  reserveOutputPipes,
  type PipeReservation,
} from './output-pipes.js';
import type { ProcessExit, SpawnProcess, SpawnRequest, SpawnedProcess } from './spawn-process.js';

/**
 * The helper's whole program. It spawns what it is asked to and passes the two pipes back over the
 * IPC channel (SCM_RIGHTS), closing its own copies: output never goes through it. It exits with
 * the channel, so it cannot outlive the server.
 */
const HELPER_SOURCE = `
const { spawn } = require('node:child_process');
const { closeSync, readlinkSync } = require('node:fs');
const { Socket } = require('node:net');
// argv: the output-pipe addon's path ('' without it); each request says the pipes' size.
const outputPipe = process.argv[1] ? require(process.argv[1]) : undefined;
// As output-pipes.ts's spawnWithOutputs (this program cannot import it): stdout and stderr on
// big pipes when the addon is there, sockets that do not read yet.
const spawnWithOutputs = (file, args, options, sizes) => {
  if (!outputPipe) {
    const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) {
      if (stream && stream._handle) {
        stream._handle.reading = false;
        stream._handle.readStop();
      }
    }
    const [, stdout, stderr] = child.stdio;
    // The streams are sent away: the child's exit must not resume them ("flushStdio").
    child.stdio[1] = child.stdio[2] = null;
    return { child, stdout, stderr };
  }
  const out = outputPipe.open(sizes.stdout);
  let err;
  try {
    err = outputPipe.open(sizes.stderr);
  } catch (e) {
    closeSync(out[0]);
    closeSync(out[1]);
    throw e;
  }
  let child;
  try {
    child = spawn(file, args, { ...options, stdio: ['ignore', out[1], err[1]] });
  } catch (e) {
    closeSync(out[0]);
    closeSync(err[0]);
    throw e;
  } finally {
    closeSync(out[1]);
    closeSync(err[1]);
  }
  const open = (fd) => new Socket({ fd, readable: true, writable: false, manualStart: true });
  return { child, stdout: open(out[0]), stderr: open(err[0]) };
};
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
  let child, stdout, stderr;
  try {
    ({ child, stdout, stderr } = spawnWithOutputs(m.file, m.args, { cwd: m.cwd, env: m.env, detached: true }, m.pipeSizes));
  } catch (e) {
    failed(e);
    return;
  }
  // spawn() returns once the child has called exec: read its fds 1 and 2 before it can change them.
  const outputs = child.pid === undefined ? [] : outputLinks(child.pid);
  // The output sockets do not read (a pipe socket would start at once, and what it read here
  // would be lost when the handle is sent).
  let spawned = false;
  child.once('error', (e) => {
    if (spawned) return;
    stdout.destroy();
    stderr.destroy();
    failed(e);
  });
  child.once('spawn', () => {
    spawned = true;
    // Handles go out one at a time (each waits for an ack): until then nothing may read them.
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
  /** The output pipes' share of the budget, given back when both are closed. */
  pipes: PipeReservation;
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
        releaseWhenClosed(entry.pipes, [entry.stdout!, entry.stderr!]);
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
        entry.pipes.release();
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
      else {
        entry.pipes.release();
        entry.reject(new Error('the process helper exited before the command started'));
      }
    }
  };

  const start = (): ChildProcess => {
    const addon = outputPipeAddonPath() ?? '';
    const child = spawn(process.execPath, ['--max-semi-space-size=1', '-e', HELPER_SOURCE, addon], {
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
        const pipes = reserveOutputPipes();
        pending.set(id, { resolve, reject, resolveExit, exit, started: false, pipes });
        helper.channel?.ref();
        helper.send({
          type: 'spawn',
          id,
          pipeSizes: { stdout: pipes.stdout, stderr: pipes.stderr },
          ...request,
        });
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
