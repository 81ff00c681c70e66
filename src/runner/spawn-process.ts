import type { Readable } from 'node:stream';
import { releaseWhenClosed, reserveOutputPipes, spawnWithOutputs } from './output-pipes.js';
import { readOutputLinks } from './proc-stat.js';

export interface SpawnRequest {
  file: string;
  args: string[];
  cwd: string;
  /** The whole environment of the new process. */
  env: NodeJS.ProcessEnv;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnedProcess {
  pid: number;
  stdout: Readable;
  stderr: Readable;
  /**
   * Its stdout and stderr as `/proc/<pid>/fd` links (`pipe:[N]` or `socket:[N]`), read right after the exec:
   * whatever process holds one of them later belongs to the run, tag or no tag.
   */
  outputs: string[];
  /** Resolves when the process exits (its output may still be in the pipes). */
  exit: Promise<ProcessExit>;
}

/**
 * Starts a program in a process group of its own, stdin closed, stdout and stderr piped to us
 * (1 MB pipes where the output-pipe addon is built: see output-pipes.ts).
 * Rejects with the system error (its `code`: ENOENT, EACCES…) when the program cannot start.
 */
export type SpawnProcess = (request: SpawnRequest) => Promise<SpawnedProcess>;

/** Spawns from this process: libuv blocks the event loop until the child has called exec. */
export const spawnLocal: SpawnProcess = (request) =>
  new Promise((resolve, reject) => {
    const pipes = reserveOutputPipes();
    let spawned: ReturnType<typeof spawnWithOutputs>;
    try {
      spawned = spawnWithOutputs(
        request.file,
        request.args,
        { cwd: request.cwd, env: request.env, detached: true },
        pipes,
      );
    } catch (error) {
      pipes.release();
      reject(error as Error);
      return;
    }
    const { child, stdout, stderr } = spawned;
    releaseWhenClosed(pipes, [stdout, stderr]);
    // spawn() returns once the child has called exec: its fds 1 and 2 are still the pipes we made.
    const outputs = child.pid === undefined ? [] : readOutputLinks(child.pid);
    const exit = new Promise<ProcessExit>((resolveExit) =>
      child.once('exit', (code, signal) => resolveExit({ code, signal })),
    );
    // After 'spawn', 'error' could only come from kill() or IPC, which are never used.
    child.once('error', (error) => {
      stdout.destroy();
      stderr.destroy();
      reject(error);
    });
    child.once('spawn', () => resolve({ pid: child.pid!, stdout, stderr, outputs, exit }));
  });
