import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Socket } from 'node:net';
import { validationError } from '../core/errors.js';

/**
 * How much a script's stdout or stderr pipe holds. Node gives a child UNIX socketpairs, which
 * take only ~280 writes of 80 bytes (~1.4 ms of a `printf` loop) before the script blocks, so
 * every few-millisecond pause of our event loop (a GC scavenge, a commit) made a one-line-per-
 * write script wait: 1.3–2 × its own time. A pipe of 1 MB holds ~13,000 such lines (tens of ms).
 * It is Linux's default `/proc/sys/fs/pipe-max-size`; memory is taken only as the pipe fills.
 */
const OUTPUT_PIPE_BYTES = 1 << 20;

/** The optional addon (native/output-pipe): `open(bytes)` → `[readFd, writeFd, bytesGranted]`. */
interface OutputPipeAddon {
  open(bytes: number): [number, number, number];
}

const ADDON = 'stepflow-output-pipe';
/** The addon once loaded (null: not built here), looked for once per process. */
let addon: { path: string; module: OutputPipeAddon } | null | undefined;

function loadAddon(): { path: string; module: OutputPipeAddon } | null {
  if (addon === undefined) {
    try {
      const require = createRequire(import.meta.url);
      const path = require.resolve(ADDON);
      addon = { path, module: require(path) as OutputPipeAddon };
    } catch {
      // Not built here: Node's socketpairs work, only slower for one-write-per-line scripts.
      addon = null;
    }
  }
  return addon;
}

/**
 * Where the addon is, or undefined when runs get Node's own stdio: it is not built (not Linux, no
 * compiler at install) or `STEPFLOW_OUTPUT_PIPE_BYTES=0` turns it off (to compare, or if a system
 * misbehaves with pipes).
 */
export function outputPipeAddonPath(): string | undefined {
  return outputPipeBytes() === 0 ? undefined : loadAddon()?.path;
}

/**
 * The pipe size to ask for; `STEPFLOW_OUTPUT_PIPE_BYTES` overrides (0 = Node's socketpairs). Read
 * at each spawn (tests and benches switch it); loadConfig checks it once at start-up.
 */
export function outputPipeBytes(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['STEPFLOW_OUTPUT_PIPE_BYTES'];
  if (raw === undefined || raw === '') return OUTPUT_PIPE_BYTES;
  const bytes = Number(raw);
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw validationError(
      `STEPFLOW_OUTPUT_PIPE_BYTES must be a whole number of bytes (0 = off), got "${raw}"`,
    );
  }
  return bytes;
}

/**
 * Linux charges a user's pipes by their size, and past `/proc/sys/fs/pipe-user-pages-soft` (64 MiB
 * by default) an unprivileged user's new pipes get 8 KiB: every pipe of that user, the scripts'
 * own `a | b` included. So big pipes are handed out from a budget of half that limit (32 MiB: 25
 * runs at once with a 1 MiB stdout and a 256 KiB stderr); runs beyond it get the kernel's default
 * 64 KiB pipes. stderr gets a quarter: it is rarely a script's flood.
 */
let pipeBudget: number | undefined;
let pipeBytesHeld = 0;

function readPipeBudget(): number {
  try {
    const softPages = Number(readFileSync('/proc/sys/fs/pipe-user-pages-soft', 'utf8'));
    return softPages > 0 ? (softPages * 4096) / 2 : Number.POSITIVE_INFINITY;
  } catch {
    return 32 * 1024 * 1024;
  }
}

/** Sizes to ask for a run's two pipes; 0: the kernel's default. */
export interface PipeSizes {
  stdout: number;
  stderr: number;
}

export interface PipeReservation extends PipeSizes {
  /** Gives the bytes back once both pipes are closed; safe to call twice. */
  release(): void;
}

/** Reserves a run's two output pipes from the budget (see pipeBudget). */
export function reserveOutputPipes(): PipeReservation {
  pipeBudget ??= readPipeBudget();
  const stdout = outputPipeBytes();
  const stderr = Math.floor(stdout / 4);
  const fits = pipeBytesHeld + stdout + stderr <= pipeBudget;
  let held = fits ? stdout + stderr : 0;
  pipeBytesHeld += held;
  return {
    stdout: fits ? stdout : 0,
    stderr: fits ? stderr : 0,
    release() {
      pipeBytesHeld -= held;
      held = 0;
    },
  };
}

/** Releases `reservation` once every one of `streams` has closed. */
export function releaseWhenClosed(reservation: PipeReservation, streams: NodeJS.ReadableStream[]): void {
  let open = streams.length;
  for (const stream of streams) stream.once('close', () => --open === 0 && reservation.release());
}

export interface ChildWithOutputs {
  child: ChildProcess;
  stdout: Socket;
  stderr: Socket;
}

/**
 * Spawns with stdin closed and stdout/stderr on pipes of `sizes` when the addon is there,
 * Node's socketpairs otherwise. The streams read as a child's own would. The spawn helper's
 * program carries a copy of this (it runs from a string, and cannot import).
 */
export function spawnWithOutputs(
  file: string,
  args: string[],
  options: Omit<SpawnOptions, 'stdio'>,
  /** From reserveOutputPipes. */
  sizes: PipeSizes,
): ChildWithOutputs {
  const loaded = outputPipeBytes() === 0 ? null : loadAddon();
  if (loaded === null) {
    const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    return { child, stdout: child.stdout as Socket, stderr: child.stderr as Socket };
  }
  const out = loaded.module.open(sizes.stdout);
  let err: [number, number, number];
  try {
    err = loaded.module.open(sizes.stderr);
  } catch (error) {
    closeSync(out[0]);
    closeSync(out[1]);
    throw error;
  }
  let child: ChildProcess;
  try {
    child = spawn(file, args, { ...options, stdio: ['ignore', out[1], err[1]] });
  } catch (error) {
    closeSync(out[0]);
    closeSync(err[0]);
    throw error;
  } finally {
    // The child has its copies (or never started): ours would keep the pipes open after it ends.
    closeSync(out[1]);
    closeSync(err[1]);
  }
  const open = (fd: number): Socket => new Socket({ fd, readable: true, writable: false });
  return { child, stdout: open(out[0]), stderr: open(err[0]) };
}
