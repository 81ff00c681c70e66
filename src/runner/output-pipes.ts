import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync } from 'node:fs';
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
let addonPath: string | null | undefined;

/**
 * Where the addon is, or undefined when runs get Node's own stdio: it is not built (not Linux, no
 * compiler at install) or `STEPFLOW_OUTPUT_PIPE_BYTES=0` turns it off (to compare, or if a system
 * misbehaves with pipes).
 */
export function outputPipeAddonPath(): string | undefined {
  if (outputPipeBytes() === 0) return undefined;
  if (addonPath === undefined) {
    addonPath = null;
    try {
      const path = createRequire(import.meta.url).resolve(ADDON);
      createRequire(import.meta.url)(path);
      addonPath = path;
    } catch {
      // Not built here: Node's socketpairs work, only slower for one-write-per-line scripts.
    }
  }
  return addonPath ?? undefined;
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

export interface ChildWithOutputs {
  child: ChildProcess;
  stdout: Socket;
  stderr: Socket;
}

/**
 * Spawns with stdin closed and stdout/stderr on pipes of OUTPUT_PIPE_BYTES when the addon is
 * there, Node's socketpairs otherwise. The streams read as a child's own would. `manualStart`
 * leaves them not reading (the spawn helper sends them on before anything may read).
 * The spawn helper's program carries a copy of this (it runs from a string, and cannot import).
 */
export function spawnWithOutputs(
  file: string,
  args: string[],
  options: Omit<SpawnOptions, 'stdio'>,
  { manualStart = false }: { manualStart?: boolean } = {},
): ChildWithOutputs {
  const path = outputPipeAddonPath();
  if (path === undefined) {
    const child = spawn(file, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const [stdout, stderr] = [child.stdout as Socket, child.stderr as Socket];
    if (manualStart) for (const stream of [stdout, stderr]) stopReading(stream);
    return { child, stdout, stderr };
  }
  const addon = createRequire(import.meta.url)(path) as OutputPipeAddon;
  const bytes = outputPipeBytes();
  const out = addon.open(bytes);
  let err: [number, number, number];
  try {
    err = addon.open(bytes);
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
  // `manualStart` (Node's own option for child stdio) makes the socket without reading from it.
  const open = (fd: number): Socket =>
    new Socket({ fd, readable: true, writable: false, manualStart } as ConstructorParameters<
      typeof Socket
    >[0]);
  return { child, stdout: open(out[0]), stderr: open(err[0]) };
}

/** A pipe socket starts reading as soon as it is made; stop that (see spawnWithOutputs). */
function stopReading(stream: Socket): void {
  const handle = (stream as unknown as { _handle?: { reading: boolean; readStop(): void } })._handle;
  if (handle) {
    handle.reading = false;
    handle.readStop();
  }
}
