import { executionEstimatedSeconds } from '../core/estimated-duration.js';
import type { InterpreterSink } from '../core/markers/log-interpreter.js';
import { createLogInterpreter } from '../core/markers/log-interpreter.js';
import { DEFAULT_SECRET_ENV_PATTERNS, runSecrets } from '../core/markers/secret-env.js';
import type { Execution, LogLine, ResourceSample, RunSpec, Step } from '../core/model.js';
import type { ExecutionStatus } from '../core/statuses.js';
import type { LimitHit } from '../core/run-limits.js';
import { formatSize } from '../core/run-limits.js';
import type { ProcessMonitor, ProcessResult, RunningProcess, SpawnProcess } from '../runner/run-process.js';
import { runProcess } from '../runner/run-process.js';
import type { ChildEnvironmentPolicy } from '../runner/child-environment.js';
import type { EventBus } from './event-bus.js';
import { openStepFiles, type StepFilesChange } from './step-files.js';
import { createLogLimiter } from './log-limiter.js';

export interface ExecutionRunDeps {
  bus: EventBus;
  monitor: ProcessMonitor;
  /** How processes are started (runProcess's default when absent). */
  spawn?: SpawnProcess;
  dataDir: string;
  artifactRoots: string[];
  killGraceMs: number;
  /** Env names whose values are masked (see secret-env.ts); the defaults when absent. */
  secretEnvPatterns?: readonly string[];
  /** What scripts get of this process's environment (runProcess's default when absent). */
  environment?: ChildEnvironmentPolicy;
  now: () => number;
  /**
   * Commits what was published so far and says whether the store could: the error while it cannot
   * (a run ending then ends `failed` with it, its record incomplete), else null.
   */
  storeFailure?: () => Promise<string | null>;
}

export interface ExecutionRun {
  readonly id: string;
  /** Latest snapshot (status, meta, line count…). */
  snapshot(): Execution;
  /** `reason`: why, when it was not asked for here (shown in its log and as its error). */
  cancel(reason?: string): void;
  /** Stops it like cancel, but it ends `failed` with `reason` as its error (the store is failing). */
  fail(reason: string): void;
  /** Resolves with the final execution once the process tree is gone and artifacts are stored. */
  readonly done: Promise<Execution>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Drives one execution: spawns it, feeds its output through the marker interpreter, collects its
 * artifacts and publishes everything on the bus. It never writes to the store itself: the store
 * writer is just another subscriber.
 */
export function startExecutionRun(deps: ExecutionRunDeps, queued: Execution, spec: RunSpec): ExecutionRun {
  const { bus, now } = deps;
  const id = queued.id;
  const startedAt = now();
  let execution: Execution = { ...queued, status: 'running', startedAt: iso(startedAt) };
  let failure: string | null = null;
  let stoppedFor: string | null = null;
  let cancelReason: string | null = null;
  let nextArtifactId = 1;
  let samples = 0;
  // Artifacts are collected one after another, in the order they were declared: ids follow the
  // script's order, and two copies never compete for the disk.
  let artifactsCollected: Promise<void> = Promise.resolve();

  const limits = spec.limits ?? {};
  // The highest seq published: past a log limit, lines the interpreter numbered may be held or dropped.
  let publishedSeq = 0;
  const publish = (lines: LogLine[]): void => {
    if (lines.length === 0) return;
    publishedSeq = Math.max(publishedSeq, (lines[lines.length - 1] as LogLine).seq);
    execution.lineCount = publishedSeq;
    bus.publish({ type: 'log.lines', executionId: id, lines });
  };
  const publishLines = (): void => publish(limiter.admit(interpreter.takeLines()));
  const publishExecution = (type: 'execution.updated' | 'execution.finished'): void => {
    execution = { ...execution, lineCount: publishedSeq };
    bus.publish({ type, executionId: id, execution });
  };
  /** Records a limit that triggered (or updates the one of its kind) on the execution, live. */
  const recordHit = (hit: LimitHit): void => {
    const others = execution.limitHits.filter((h) => h.kind !== hit.kind);
    execution = { ...execution, limitHits: [...others, hit] };
    publishExecution('execution.updated');
  };
  const stopFor = (reason: string): void => {
    stoppedFor ??= reason;
    child.cancel();
  };
  const logPolicy = limits.logLimitPolicy ?? 'truncate';
  const logLimit = (kind: 'lines' | 'logBytes'): string =>
    kind === 'lines'
      ? `maxLines ${(limits.maxLines ?? 0).toLocaleString('en-US')}`
      : `maxLogBytes ${formatSize(limits.maxLogBytes ?? 0)}`;
  const limiter = createLogLimiter({
    maxLines: limits.maxLines,
    maxLogBytes: limits.maxLogBytes,
    policy: logPolicy,
    onExceeded(kind) {
      const message =
        logPolicy === 'fail'
          ? `failed: log limit ${logLimit(kind)} exceeded; the run was stopped`
          : `log truncated by ${logLimit(kind)}: the first and the last part are kept`;
      recordHit({
        kind,
        limit: (kind === 'lines' ? limits.maxLines : limits.maxLogBytes) ?? 0,
        observed: 0,
        enforcement: 'counted',
        action: logPolicy === 'fail' ? 'failed' : 'truncated',
        at: iso(now()),
        dropped: null,
        message,
      });
      if (logPolicy === 'fail') stopFor(message);
    },
  });
  /** Publishes the held tail of a truncated log and puts the exact counts on its limit hit. */
  const releaseLog = (): void => {
    publishLines();
    publish(limiter.release());
    const counts = limiter.counts();
    const hit = execution.limitHits.find((h) => h.kind === counts?.kind);
    if (counts === null || hit === undefined) return;
    const dropped = `${counts.dropped.lines.toLocaleString('en-US')} of ${counts.lines.toLocaleString('en-US')} lines (${formatSize(counts.dropped.bytes)} of ${formatSize(counts.bytes)}) not stored`;
    recordHit({
      ...hit,
      observed: counts.kind === 'lines' ? counts.lines : counts.bytes,
      dropped: counts.dropped,
      message: `${hit.message}; ${dropped}`,
    });
  };
  const sampledEvery = `best-effort, sampled every ${deps.monitor.intervalMs / 1000} s`;
  const memoryLimitBytes = limits.memoryLimitMb === undefined ? null : limits.memoryLimitMb * 1024 * 1024;
  const memoryMessage = (peak: number): string =>
    `killed: memory limit ${formatSize(memoryLimitBytes ?? 0)} exceeded (peak ${formatSize(peak)}; ${sampledEvery})`;
  const checkLimits = (sample: ResourceSample): void => {
    if (memoryLimitBytes !== null && sample.memoryBytes > memoryLimitBytes && stoppedFor === null) {
      const message = memoryMessage(sample.memoryBytes);
      recordHit({
        kind: 'memory',
        limit: memoryLimitBytes,
        observed: sample.memoryBytes,
        enforcement: 'sampled',
        action: 'killed',
        at: iso(sample.ts),
        dropped: null,
        message,
      });
      stopFor(message);
    }
    const cpuLimit = limits.cpuLimitPercent;
    if (cpuLimit !== undefined && sample.cpuPercent > cpuLimit) {
      const previous = execution.limitHits.find((h) => h.kind === 'cpu');
      if (previous === undefined) {
        // Without a cgroup there is no honest way to hold a tree to a share of the CPU: say it.
        const message = `CPU limit ${cpuLimit}% exceeded (${sample.cpuPercent}% sampled); not enforced on this host, warned only (${sampledEvery})`;
        interpreter.pushSystemLine(`⚠ ${message}`, sample.ts, null);
        publishLines();
        recordHit({
          kind: 'cpu',
          limit: cpuLimit,
          observed: sample.cpuPercent,
          enforcement: 'sampled',
          action: 'warned',
          at: iso(sample.ts),
          dropped: null,
          message,
        });
      } else if (sample.cpuPercent > previous.observed) {
        // The peak over the limit, quietly: one update per new peak, not one per sample.
        recordHit({ ...previous, observed: sample.cpuPercent });
      }
    }
  };

  // Ids of the open steps, innermost last: what the summary file gets attributed to.
  const openSteps: number[] = [];
  const withSummary = (step: Step): Step => ({
    ...step,
    hasSummary: stepFiles.stepSummary(step.id) !== null,
  });
  /**
   * Reads the summary and output files when a marked step ends (and at exit), never per line: what was
   * appended since the last read is the innermost open step's. Not when a step starts: the script
   * runs ahead of its log being read, so by then the file may already hold what the new step wrote.
   */
  const readStepFiles = (final = false): void => {
    const stepId = openSteps[openSteps.length - 1] ?? null;
    const change: StepFilesChange = final ? stepFiles.close(stepId) : stepFiles.read(stepId);
    // The texts go to the store only; the step's `hasSummary` goes out with its step.finished
    // (the steps still open at exit end next), the run's with the execution.
    const hadSummary = execution.hasSummary;
    if (change.summary) {
      const stepSummary = stepId === null ? null : stepFiles.stepSummary(stepId);
      if (stepSummary !== null) {
        bus.publish({ type: 'summary.updated', executionId: id, stepId, summary: stepSummary });
      }
      const runSummary = stepFiles.runSummary();
      if (runSummary !== null) {
        bus.publish({ type: 'summary.updated', executionId: id, stepId: null, summary: runSummary });
        execution = { ...execution, hasSummary: true };
      }
    }
    if (change.outputs) execution = { ...execution, outputs: stepFiles.outputs() };
    // The finish publishes it.
    if (!final && (change.outputs || execution.hasSummary !== hadSummary)) {
      publishExecution('execution.updated');
    }
  };

  const sink: InterpreterSink = {
    // Lines read before a step change are published first, so every subscriber sees the log and
    // the steps in the order the script printed them.
    stepStarted(step) {
      publishLines();
      openSteps.push(step.id);
      bus.publish({ type: 'step.started', executionId: id, step });
    },
    stepUpdated(step) {
      publishLines();
      bus.publish({ type: 'step.updated', executionId: id, step });
    },
    stepFinished(step) {
      // Not at the end of an implicit step: it ends because a real one starts, and the script,
      // ahead of its log being read, may already have written that one's summary.
      if (!finishing && !step.implicit) readStepFiles();
      publishLines();
      openSteps.pop();
      bus.publish({ type: 'step.finished', executionId: id, step: withSummary(step) });
    },
    outputSet(name, value) {
      stepFiles.setOutput(name, value);
      outputsSet = true;
    },
    annotationAdded(annotation) {
      publishLines();
      bus.publish({ type: 'annotation.added', executionId: id, annotation });
    },
    executionMeta(key, value) {
      const meta = { ...execution.meta, [key]: value };
      execution = { ...execution, meta, estimatedDurationSeconds: executionEstimatedSeconds(meta) };
      publishExecution('execution.updated');
    },
    executionError(message) {
      if (failure === null) {
        failure = message;
        execution = { ...execution, error: message };
        publishExecution('execution.updated');
      }
    },
    artifactDeclared(request) {
      // Loaded at the first artifact: globbing and the MIME table are worth their start-up (some
      // 15 ms) only to runs that declare one.
      const collect = async () =>
        (await import('../artifacts/collect-artifacts.js')).collectArtifacts({
          dataDir: deps.dataDir,
          executionId: id,
          cwd: spec.cwd,
          allowedRoots: deps.artifactRoots,
          pattern: request.path,
          description: request.description,
          stepId: request.stepId,
          nextId: () => nextArtifactId++,
        });
      artifactsCollected = artifactsCollected.then(collect).then(
        (artifacts) => {
          for (const found of artifacts) {
            // The file is copied: from here on its path is only shown, so it is masked like the log.
            const artifact = {
              ...found,
              path: interpreter.mask(found.path),
              error: found.error === null ? null : interpreter.mask(found.error),
            };
            if (artifact.status === 'failed') {
              // In the step that declared it: by now the script may be several steps further.
              interpreter.pushSystemLine(
                `⚠ artifact ${artifact.path}: ${artifact.error ?? 'failed'}`,
                now(),
                request.stepId,
              );
              publishLines();
            }
            bus.publish({ type: 'artifact.recorded', executionId: id, artifact });
          }
        },
        (error: unknown) => {
          // collectArtifacts turns user errors into failed artifacts; reaching here is a bug of
          // ours, so say it in the log rather than lose it.
          interpreter.pushSystemLine(
            `⚠ artifact ${request.path}: internal error: ${String(error)}`,
            now(),
            request.stepId,
          );
          publishLines();
        },
      );
    },
  };
  // Seeded before the first line: a script that echoes its token at once must not store it.
  const interpreter = createLogInterpreter({
    sink,
    secrets: runSecrets(spec, deps.secretEnvPatterns ?? DEFAULT_SECRET_ENV_PATTERNS),
  });
  /** Set once the files had their last read: closing the steps left open reads nothing more. */
  let finishing = false;
  /** `::set-output` lines were read: the outputs go out once per batch of lines, not per line. */
  let outputsSet = false;

  bus.publish({ type: 'execution.started', executionId: id, execution });

  // After `execution.started`: a warning here is a log line of the run.
  const stepFiles = openStepFiles({
    executionId: id,
    mask: (text) => interpreter.mask(text),
    warn(message) {
      interpreter.pushSystemLine(`⚠ ${message}`, now());
      publishLines();
    },
  });
  const publishOutputsSet = (): void => {
    if (!outputsSet) return;
    outputsSet = false;
    execution = { ...execution, outputs: stepFiles.outputs() };
    publishExecution('execution.updated');
  };

  const child: RunningProcess = runProcess({
    tag: id,
    resumeFrom: queued.resumeFrom,
    ...(spec.argv ? { argv: spec.argv } : { command: spec.command ?? '' }),
    cwd: spec.cwd,
    env: { ...spec.env, ...spec.secretEnv },
    stepflowVars: stepFiles.env,
    timeoutMs: spec.timeoutSeconds ? spec.timeoutSeconds * 1000 : 0,
    killGraceMs: deps.killGraceMs,
    environment: deps.environment,
    monitor: deps.monitor,
    ...(deps.spawn ? { spawn: deps.spawn } : {}),
    onOutput(stream, lines, ts) {
      interpreter.pushLines(stream, lines, ts);
      publishLines();
      publishOutputsSet();
    },
    onPiece(stream, text, continues, ts) {
      interpreter.pushPiece(stream, text, continues, ts);
      publishLines();
    },
    onSample(sample: ResourceSample) {
      samples++;
      bus.publish({ type: 'resource.sampled', executionId: id, sample });
      checkLimits(sample);
    },
  });

  const done = child.done.then(async (result) => {
    await artifactsCollected;
    releaseLog();
    const memoryHit = execution.limitHits.find((h) => h.kind === 'memory');
    if (memoryHit !== undefined && result.peaks.memoryBytesPeak > memoryHit.observed) {
      const peak = result.peaks.memoryBytesPeak;
      const message = memoryMessage(peak);
      if (stoppedFor === memoryHit.message) stoppedFor = message;
      recordHit({ ...memoryHit, observed: peak, message });
    }
    // A run whose record the store could not take is failed, whatever the script did.
    const storeFailure = stoppedFor ?? (await deps.storeFailure?.()) ?? null;
    const endedAt = Math.max(now(), startedAt);
    const status = storeFailure === null ? finalStatus(result, failure) : 'failed';
    const how = howStopped(result, deps.killGraceMs);
    const rawNote =
      stoppedFor !== null && result.outcome === 'cancelled'
        ? `Stopped: the process tree was ${how.replace('stopped', 'ended')}.`
        : cancelReason !== null && result.outcome === 'cancelled'
          ? `Cancelled: ${cancelReason}; the process tree was ${how}.`
          : resultNote(result, spec, how);
    const note = rawNote === null ? null : interpreter.mask(rawNote);
    // Before the steps left open are closed: what the script appended last is theirs.
    readStepFiles(true);
    finishing = true;
    execution = { ...execution, outputs: stepFiles.outputs() };
    if (note) interpreter.pushSystemLine(note, endedAt);
    if (storeFailure !== null) interpreter.pushSystemLine(`⚠ ${storeFailure}`, endedAt);
    interpreter.finish(
      status === 'succeeded' ? 'succeeded' : status === 'failed' ? 'failed' : 'cancelled',
      endedAt,
    );
    publishLines();
    execution = {
      ...execution,
      status,
      exitCode: result.exitCode,
      // What ended the run: SIGKILL when the grace was not enough, even if the main process
      // itself went on SIGTERM (a child ignored it).
      signal: result.killedAfterGrace ? 'SIGKILL' : result.signal,
      error:
        storeFailure ??
        execution.error ??
        (status === 'succeeded' ? null : (note ?? `exited with code ${result.exitCode}`)),
      endedAt: iso(endedAt),
      durationMs: endedAt - startedAt,
      // A run shorter than one sampling interval was never measured: say so, rather than "0 %".
      resources: samples > 0 ? result.peaks : null,
    };
    publishExecution('execution.finished');
    return execution;
  });

  return {
    id,
    snapshot: () => ({ ...execution, lineCount: publishedSeq }),
    cancel(reason) {
      if (reason !== undefined) cancelReason ??= reason;
      child.cancel();
    },
    fail(reason) {
      stopFor(reason);
    },
    done,
  };
}

function finalStatus(result: ProcessResult, failure: string | null): ExecutionStatus {
  switch (result.outcome) {
    case 'cancelled':
      return 'cancelled';
    case 'timed_out':
      return 'timed_out';
    case 'spawn_failed':
      return 'failed';
    case 'exited':
      return result.exitCode === 0 && failure === null ? 'succeeded' : 'failed';
  }
}

/** How a cancelled or timed-out tree ended: by SIGTERM, or by SIGKILL once the grace ran out. */
function howStopped(result: ProcessResult, graceMs: number): string {
  return result.killedAfterGrace
    ? `stopped with SIGKILL after the ${graceMs / 1000} s grace (SIGTERM was not enough)`
    : 'stopped';
}

function resultNote(result: ProcessResult, spec: RunSpec, how: string): string | null {
  switch (result.outcome) {
    case 'cancelled':
      return `Cancelled: the process tree was ${how}.`;
    case 'timed_out':
      return `Timed out after ${spec.timeoutSeconds}s: the process tree was ${how}.`;
    case 'spawn_failed':
      return `Could not start the command: ${result.error ?? 'unknown error'}`;
    case 'exited':
      return result.signal ? `The process was killed by ${result.signal}.` : null;
  }
}
