import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { validationError } from '../core/errors.js';
import type { ResourcePeaks, ResourceSample } from '../core/model.js';
import { childEnvironment, INHERIT_ALL, type ChildEnvironmentPolicy } from './child-environment.js';
import { createLineSplitter } from './line-splitter.js';
import { EXECUTION_TAG_VARIABLE, type ProcessMonitor } from './process-monitor.js';
import { spawnLocal, type SpawnProcess } from './spawn-process.js';
import { terminateTree } from './terminate-tree.js';

// The engine names the monitor type through this module.
export type { ProcessMonitor } from './process-monitor.js';
export type { SpawnProcess } from './spawn-process.js';

export type OutputStream = 'stdout' | 'stderr';

/** Set for a re-run from a step: the step's name, so a script can skip the work before it. */
const RESUME_FROM_VARIABLE = 'STEPFLOW_RESUME_FROM';

export interface RunProcessOptions {
  /** The execution id, exported to every process as STEPFLOW_EXECUTION_ID. */
  tag: string;
  /** A re-run's step to resume from, exported as STEPFLOW_RESUME_FROM (docs/MARKERS.md). */
  resumeFrom?: string | null;
  /**
   * More variables StepFlow sets for the run (its step summary and output files): like
   * STEPFLOW_EXECUTION_ID they win over the parent's and the run's own.
   */
  stepflowVars?: Readonly<Record<string, string>>;
  /** A shell string run by `/bin/sh -c`. Exactly one of `command` / `argv`. */
  command?: string;
  /** An argv array run without a shell. */
  argv?: string[];
  cwd: string;
  /** The run's own variables, set over what `environment` takes from this process's. */
  env?: Record<string, string>;
  /** What the process gets of this process's environment; by default all but StepFlow's own variables. */
  environment?: ChildEnvironmentPolicy;
  /** 0 or absent: no timeout. */
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL when ending the tree. */
  killGraceMs?: number;
  monitor: ProcessMonitor;
  /** How the process is started; spawning from this process by default. */
  spawn?: SpawnProcess;
  /** Complete lines of one chunk; `ts` is when the chunk was read (epoch ms). */
  onOutput(stream: OutputStream, lines: string[], ts: number): void;
  /** A piece of an over-long line; `continues` is false on its last piece. */
  onPiece(stream: OutputStream, text: string, continues: boolean, ts: number): void;
  onSample?(sample: ResourceSample): void;
}

export interface ProcessResult {
  outcome: 'exited' | 'cancelled' | 'timed_out' | 'spawn_failed';
  /** Null when killed by a signal or when the spawn failed. */
  exitCode: number | null;
  signal: string | null;
  /**
   * Cancelled or timed out, and part of the tree outlived the SIGTERM grace: SIGKILL ended it
   * (whatever `signal` the main process itself died of).
   */
  killedAfterGrace: boolean;
  /** Why the spawn failed. */
  error: string | null;
  peaks: ResourcePeaks;
  startedAt: number;
  endedAt: number;
}

export interface RunningProcess {
  readonly pid: number | undefined;
  /** Ends the whole tree; idempotent. The outcome is `cancelled` unless the process already exited. */
  cancel(): void;
  /** Resolves after the tree is gone and all output went through onOutput/onPiece. */
  readonly done: Promise<ProcessResult>;
}

const EOF_WAIT_MS = 50;
// After the tree is dead, a process we could not see or end (another user's: a setuid program)
// may still hold a pipe: it is given up once silent this long.
const PIPE_CLOSE_WAIT_MS = 200;
/** How long such a pipe may keep yielding before it is given up anyway (a writer that never stops). */
const PIPE_DRAIN_LIMIT_MS = 10_000;
/**
 * Waits counted in wall time alone are not enough: a busy process (a worker starting a dozen runs
 * at once) can go seconds between two polls of its sockets, and a pipe made meanwhile is not even
 * watched yet. A run whose log sat whole and unread in its socket was once recorded with no lines.
 * So a wait also lasts until the loop has polled twice: setImmediate runs right after a poll.
 */
const afterPolls = (polls: number, then: () => void): void => {
  if (polls === 0) then();
  else setImmediate(() => afterPolls(polls - 1, then));
};
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Runs one execution's main process in its own process group, streams its output as lines and
 * ends whatever it leaves behind. A script that fails, or cannot be spawned, is a result; only
 * invalid options throw.
 */
export function runProcess(options: RunProcessOptions): RunningProcess {
  const { tag, cwd, monitor, timeoutMs = 0, killGraceMs = 5000 } = options;
  if (tag === '') throw validationError('runProcess needs a non-empty tag');
  if (!(timeoutMs >= 0)) throw validationError(`timeoutMs must be a number >= 0, got ${timeoutMs}`);
  const [file, args] = commandLine(options);
  const startedAt = Date.now();
  const watch = monitor.watch(tag, (sample) => options.onSample?.(sample));

  let resolveDone!: (result: ProcessResult) => void;
  let rejectDone!: (error: unknown) => void;
  const done = new Promise<ProcessResult>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  let finished = false;
  let timeout: NodeJS.Timeout | undefined;
  let pipeDeadline: NodeJS.Timeout | undefined;
  const finish = (result: Omit<ProcessResult, 'peaks' | 'startedAt' | 'endedAt'>): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timeout);
    clearTimeout(pipeDeadline);
    resolveDone({ ...result, peaks: watch.stop(), startedAt, endedAt: Date.now() });
  };
  const fail = (error: unknown): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timeout);
    clearTimeout(pipeDeadline);
    watch.stop();
    rejectDone(error);
  };

  let pid: number | undefined;
  let outcome: ProcessResult['outcome'] = 'exited';
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: string | undefined;
  let treeEnded = false;
  let openStreams = 0;
  /** Output read so far, all streams: a pipe that still yields is not given up. */
  let bytesRead = 0;
  const streams: Readable[] = [];
  let outputs: readonly string[] = [];
  // Once both pipes are at EOF nobody holds them: the sweep then skips reading every process's fds.
  const openOutputs = (): readonly string[] => (streams.every((s) => s.readableEnded) ? [] : outputs);
  const outputsEnded = (waitMs: number): Promise<void> =>
    new Promise((resolve) => {
      const open = streams.filter((s) => !s.readableEnded);
      if (open.length === 0) return resolve();
      const timer = setTimeout(() => afterPolls(2, resolve), waitMs);
      let left = open.length;
      const ended = (): void => {
        if (--left > 0) return;
        clearTimeout(timer);
        resolve();
      };
      for (const stream of open) stream.once('end', ended);
    });

  const maybeFinish = (): void => {
    if (openStreams > 0) return;
    if (spawnError !== undefined) {
      finish({
        outcome: 'spawn_failed',
        exitCode: null,
        signal: null,
        killedAfterGrace: false,
        error: spawnError,
      });
    } else if (exit !== undefined && treeEnded) {
      finish({
        outcome,
        exitCode: exit.code,
        signal: exit.signal,
        // The sweep after a normal exit may also need SIGKILL (a daemon left behind): that is not
        // what ended the run.
        killedAfterGrace: outcome !== 'exited' && killed,
        error: null,
      });
    }
  };

  const readOutput = (name: OutputStream, stream: Readable): void => {
    streams.push(stream);
    openStreams++;
    const splitter = createLineSplitter({
      sink: {
        lines: (lines) => options.onOutput(name, lines, Date.now()),
        piece: (text, continues) => options.onPiece(name, text, continues, Date.now()),
      },
    });
    stream.on('data', (chunk: Buffer) => {
      bytesRead += chunk.length;
      splitter.write(chunk);
    });
    // A read error on a pipe ends it like EOF does; 'close' follows and the run finishes normally.
    stream.on('error', () => {});
    stream.on('close', () => {
      splitter.end();
      openStreams--;
      maybeFinish();
    });
  };

  let ending: Promise<void> | undefined;
  let killed = false;
  const endTree = (): Promise<void> =>
    (ending ??= terminateTree({ pgid: pid, tag, outputs: openOutputs, monitor, graceMs: killGraceMs }).then(
      (forced) => {
        killed = forced;
      },
    ));

  const stopEarly = (reason: 'cancelled' | 'timed_out'): void => {
    if (finished || exit !== undefined || spawnError !== undefined || outcome !== 'exited') return;
    outcome = reason;
    clearTimeout(timeout);
    // Before the process has started there is no group to end yet: that happens once it has.
    if (pid !== undefined) endTree().catch(fail);
  };
  const armTimeout = (ms: number): void => {
    // setTimeout fires at once beyond ~24.8 days; longer timeouts are re-armed in steps.
    const step = Math.min(ms, MAX_TIMER_MS);
    timeout = setTimeout(() => (ms > step ? armTimeout(ms - step) : stopEarly('timed_out')), step);
  };
  if (timeoutMs > 0) armTimeout(timeoutMs);

  /** Gives up the pipes still open once they stayed silent for a while, the loop having polled them. */
  const closeSilentPipes = (since = Date.now()): void => {
    const readBefore = bytesRead;
    pipeDeadline = setTimeout(
      () =>
        afterPolls(2, () => {
          if (finished || openStreams === 0) return;
          if (bytesRead !== readBefore && Date.now() - since < PIPE_DRAIN_LIMIT_MS) {
            return closeSilentPipes(since);
          }
          for (const stream of streams) stream.destroy();
        }),
      PIPE_CLOSE_WAIT_MS,
    );
  };

  const onExit = (result: { code: number | null; signal: NodeJS.Signals | null }): void => {
    exit = result;
    clearTimeout(timeout);
    // Leftovers (background jobs, daemons) are ended the same way, so the run ends with its main
    // process. EOF often comes a turn after the exit: waiting for it a moment spares that sweep
    // reading every process's descriptors when nothing holds the pipes any more.
    outputsEnded(EOF_WAIT_MS)
      .then(endTree)
      .then(() => {
        treeEnded = true;
        if (openStreams > 0) closeSilentPipes();
        maybeFinish();
      }, fail);
  };

  const spawnProcess = options.spawn ?? spawnLocal;
  spawnProcess({
    file,
    args,
    cwd,
    env: childEnvironment({
      parent: process.env,
      policy: options.environment ?? INHERIT_ALL,
      runEnv: options.env ?? {},
      stepflowVars: {
        ...options.stepflowVars,
        [EXECUTION_TAG_VARIABLE]: tag,
        ...(options.resumeFrom ? { [RESUME_FROM_VARIABLE]: options.resumeFrom } : {}),
      },
    }),
  }).then(
    (started) => {
      pid = started.pid;
      outputs = started.outputs;
      readOutput('stdout', started.stdout);
      readOutput('stderr', started.stderr);
      started.exit.then(onExit, fail);
      if (outcome !== 'exited') endTree().catch(fail);
    },
    (error: NodeJS.ErrnoException) => {
      clearTimeout(timeout);
      spawnError = describeSpawnError(error, file, cwd);
      maybeFinish();
    },
  );

  return {
    get pid() {
      return pid;
    },
    cancel: () => stopEarly('cancelled'),
    done,
  };
}

function commandLine({ command, argv }: RunProcessOptions): [string, string[]] {
  if (command !== undefined && argv === undefined) return ['/bin/sh', ['-c', command]];
  if (argv !== undefined && command === undefined) {
    const [file, ...args] = argv;
    if (file === undefined || file === '') throw validationError('argv must start with a program');
    return [file, args];
  }
  throw validationError('exactly one of command and argv is required');
}

function describeSpawnError(error: NodeJS.ErrnoException, file: string, cwd: string): string {
  // Node reports a missing cwd as the program being missing; say which one it really is.
  if (!isDirectory(cwd)) return `working directory does not exist: ${cwd}`;
  if (error.code === 'ENOENT') return `command not found: ${file}`;
  if (error.code === 'EACCES') return `permission denied: ${file}`;
  return error.message;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    // Missing or unreadable: either way the process could not start there.
    return false;
  }
}
