import type { PipelineEvent } from '../../core/events.js';
import type { Execution, Step } from '../../core/model.js';
import type { PipelineChange } from '../../core/pipelines/pipeline-change.js';
import type { PipelineNode } from '../../core/pipelines/pipeline-definition.js';
import {
  DEFAULT_CRITICAL_AFTER_SECONDS,
  DEFAULT_WARN_AFTER_SECONDS,
  estimateRemainingMs,
  nextWarningAtMs,
  nodeWarningsDue,
  type NodeHistory,
  type NodeWarningKind,
} from '../../core/pipelines/node-timing.js';
import {
  isFinalNodeStatus,
  isFinalRunStatus,
  type PipelineRun,
  type PipelineRunNode,
} from '../../core/pipelines/pipeline-run.js';
import { pipelineProgress, pipelineRunStatus, planPipeline } from '../../core/pipelines/pipeline-rules.js';
import { isTerminalExecutionStatus } from '../../core/statuses.js';
import type { RunSpec } from '../../core/model.js';
import { nodeRunSpec } from './node-run-spec.js';

export interface DriverDeps {
  submit(spec: RunSpec): Promise<Execution>;
  cancel(executionId: string): Promise<void>;
  save(run: PipelineRun): Promise<void>;
  publish(event: PipelineEvent): void;
  now(): Date;
  onError(error: unknown): void;
}

interface NodeTimers {
  retry?: NodeJS.Timeout;
  warning?: NodeJS.Timeout;
  warned: Set<NodeWarningKind>;
}

/**
 * Drives one pipeline run in this process: applies the rules of core/pipelines after every
 * change of a node's execution (from the event stream, or read from the store for a node run
 * elsewhere), submits the nodes they start, retries, warns, and saves the run after each change.
 */
export class PipelineDriver {
  private readonly timers = new Map<string, NodeTimers>();
  private saving: Promise<void> | undefined;
  private dirty = false;
  private readonly ended: Promise<PipelineRun>;
  private resolveEnded!: (run: PipelineRun) => void;

  constructor(
    readonly run: PipelineRun,
    private readonly history: ReadonlyMap<string, NodeHistory>,
    private readonly deps: DriverDeps,
  ) {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  /** Resolves with the run's final state once saved. */
  whenEnded(): Promise<PipelineRun> {
    return this.ended;
  }

  /** The node an execution of this run is an attempt of. */
  nodeOfExecution(executionId: string): PipelineRunNode | undefined {
    return this.run.nodes.find((node) =>
      node.attempts.some((attempt) => attempt.executionId === executionId),
    );
  }

  /** Executions still to be watched: current attempts that have not ended. */
  openExecutions(): string[] {
    return this.run.nodes
      .filter((node) => node.status === 'queued' || node.status === 'running')
      .map((node) => node.attempts.at(-1)?.executionId)
      .filter((id): id is string => id !== undefined);
  }

  start(): void {
    this.advance();
  }

  /** A node's execution changed (from the bus or the store): started, or ended. */
  observe(nodeName: string, execution: Execution): void {
    const node = this.node(nodeName);
    if (node === undefined || isFinalNodeStatus(node.status) || node.status === 'retrying') return;
    const attempt = this.attach(node, execution);
    if (attempt === undefined) return;
    attempt.status = execution.status;
    attempt.startedAt = execution.startedAt;
    attempt.endedAt = execution.endedAt;
    if (execution.status === 'running' && node.status === 'queued') {
      node.status = 'running';
      node.startedAt ??= execution.startedAt;
      this.change({
        kind: 'node',
        node: node.name,
        event: 'started',
        attempt: node.attempt,
        executionId: execution.id,
      });
      this.armWarnings(node, execution.id);
    }
    if (isTerminalExecutionStatus(execution.status)) this.attemptEnded(node, execution);
    this.advance();
  }

  /** A step of a node's execution started or finished. */
  step(nodeName: string, executionId: string, event: 'started' | 'finished', step: Step): void {
    this.publish({
      kind: 'step',
      node: nodeName,
      executionId,
      event,
      step: { id: step.id, name: step.name, status: step.status, durationMs: step.durationMs },
    });
  }

  /** Nothing more starts; running nodes' executions are cancelled, the rest end `cancelled`. */
  cancel(): void {
    if (this.run.cancelRequested || isFinalRunStatus(this.run.status)) return;
    this.run.cancelRequested = true;
    for (const node of this.run.nodes) {
      const executionId = node.attempts.at(-1)?.executionId;
      if ((node.status === 'queued' || node.status === 'running') && executionId !== undefined) {
        this.deps.cancel(executionId).catch(this.deps.onError);
      } else if (!isFinalNodeStatus(node.status)) {
        this.finishNode(node, 'cancelled', 'the pipeline run was cancelled');
      }
    }
    this.advance();
  }

  private node(name: string): PipelineRunNode | undefined {
    return this.run.nodes.find((node) => node.name === name);
  }

  private definitionOf(name: string): PipelineNode {
    return this.run.definition.nodes.find((node) => node.name === name)!;
  }

  /** The attempt record of `execution`, added when it is this node's newest; undefined for an old attempt. */
  private attach(node: PipelineRunNode, execution: Execution) {
    const known = node.attempts.find((attempt) => attempt.executionId === execution.id);
    if (known !== undefined) return known === node.attempts.at(-1) ? known : undefined;
    if (node.attempts.length >= node.attempt) return undefined;
    const attempt = { executionId: execution.id, status: execution.status, startedAt: null, endedAt: null };
    node.attempts.push(attempt);
    return attempt;
  }

  private attemptEnded(node: PipelineRunNode, execution: Execution): void {
    this.clearTimers(node.name);
    const durationMs = execution.durationMs ?? undefined;
    if (execution.status === 'succeeded') {
      node.outputs = execution.outputs;
      this.finishNode(node, 'succeeded', undefined, {
        durationMs,
        outputs: execution.outputs,
        executionId: execution.id,
      });
      return;
    }
    const reason = execution.error ?? execution.status;
    const retry = this.definitionOf(node.name).retry;
    if (execution.status !== 'cancelled' && !this.run.cancelRequested && node.attempt <= retry.max) {
      node.status = 'retrying';
      node.reason = reason;
      const retryAt = new Date(this.deps.now().getTime() + retry.delaySeconds * 1000);
      node.retryAt = retryAt.toISOString();
      this.change({
        kind: 'node',
        node: node.name,
        event: 'retrying',
        attempt: node.attempt,
        executionId: execution.id,
        reason,
        retryAt: node.retryAt,
        ...(durationMs === undefined ? {} : { durationMs }),
      });
      const timers = this.timersOf(node.name);
      timers.retry = setTimeout(() => {
        timers.retry = undefined;
        delete node.retryAt;
        node.status = 'waiting';
        this.submitNode(node);
        this.advance();
      }, retry.delaySeconds * 1000);
      timers.retry.unref();
      return;
    }
    const status = execution.status === 'cancelled' ? 'cancelled' : 'failed';
    this.finishNode(node, status, reason, { durationMs, executionId: execution.id });
  }

  private finishNode(
    node: PipelineRunNode,
    status: 'succeeded' | 'failed' | 'skipped' | 'cancelled',
    reason: string | undefined,
    extra: { durationMs?: number | undefined; outputs?: Record<string, string>; executionId?: string } = {},
  ): void {
    node.status = status;
    node.endedAt = this.deps.now().toISOString();
    if (reason === undefined) delete node.reason;
    else node.reason = reason;
    this.clearTimers(node.name);
    this.change({
      kind: 'node',
      node: node.name,
      event: status,
      attempt: node.attempt,
      executionId: extra.executionId ?? null,
      ...(reason === undefined ? {} : { reason }),
      ...(extra.durationMs === undefined ? {} : { durationMs: extra.durationMs }),
      ...(extra.outputs === undefined ? {} : { outputs: extra.outputs }),
    });
  }

  /** Applies the rules until they say nothing new; then the run's status. */
  private advance(): void {
    for (;;) {
      const plan = planPipeline(this.run.definition, this.run.nodes, {
        cancelRequested: this.run.cancelRequested,
      });
      for (const skip of plan.skip) this.finishNode(this.node(skip.name)!, 'skipped', skip.reason);
      for (const name of plan.start) this.submitNode(this.node(name)!);
      if (plan.skip.length === 0) break;
    }
    if (this.run.cancelRequested) {
      for (const node of this.run.nodes) {
        if (node.status === 'waiting') this.finishNode(node, 'cancelled', 'the pipeline run was cancelled');
      }
    }
    const status = pipelineRunStatus(this.run.definition, this.run.nodes, this.run.cancelRequested);
    const progress = pipelineProgress(this.run.nodes);
    const now = this.deps.now();
    if (status !== 'queued') this.run.startedAt ??= now.toISOString();
    const statusChanged = status !== this.run.status;
    this.run.status = status;
    if (isFinalRunStatus(status)) this.run.endedAt ??= now.toISOString();
    if (statusChanged || this.lastDone !== progress.done) {
      this.lastDone = progress.done;
      this.publish({
        kind: 'run',
        status,
        ...progress,
        etaMs: isFinalRunStatus(status) ? 0 : estimateRemainingMs(this.run, this.history, now.getTime()),
      });
    }
    this.persist();
  }

  private lastDone = -1;

  private submitNode(node: PipelineRunNode): void {
    const definition = this.definitionOf(node.name);
    node.status = 'queued';
    node.attempt += 1;
    delete node.reason;
    this.change({ kind: 'node', node: node.name, event: 'queued', attempt: node.attempt, executionId: null });
    const outputs = new Map(this.run.nodes.map((other) => [other.name, other.outputs]));
    this.deps
      .submit(nodeRunSpec(this.run.definition, definition, this.run.id, outputs))
      .then((execution) => this.observe(node.name, execution))
      .catch((error: unknown) => {
        // A node that cannot even be submitted (a bad cwd, shutting down) fails like its script would.
        if (node.status !== 'queued') return this.deps.onError(error);
        this.finishNode(node, 'failed', error instanceof Error ? error.message : String(error));
        this.advance();
      });
  }

  private armWarnings(node: PipelineRunNode, executionId: string): void {
    const thresholds = this.run.definition.warnings ?? {
      warnAfterSeconds: DEFAULT_WARN_AFTER_SECONDS,
      criticalAfterSeconds: DEFAULT_CRITICAL_AFTER_SECONDS,
    };
    const p95 = this.history.get(node.name)?.p95Ms;
    const timers = this.timersOf(node.name);
    const startedMs = this.deps.now().getTime();
    const arm = (): void => {
      const at = nextWarningAtMs(timers.warned, thresholds, p95);
      if (at === undefined) return;
      timers.warning = setTimeout(
        () => {
          if (node.status !== 'running') return;
          const elapsedMs = this.deps.now().getTime() - startedMs;
          for (const level of nodeWarningsDue(Math.max(elapsedMs, at), thresholds, p95)) {
            if (timers.warned.has(level)) continue;
            timers.warned.add(level);
            const thresholdMs =
              level === 'warning'
                ? thresholds.warnAfterSeconds * 1000
                : level === 'critical'
                  ? thresholds.criticalAfterSeconds * 1000
                  : (p95 ?? 0);
            this.publish({ kind: 'warning', node: node.name, executionId, level, elapsedMs, thresholdMs });
          }
          arm();
        },
        Math.max(0, at - (this.deps.now().getTime() - startedMs)),
      );
      timers.warning.unref();
    };
    arm();
  }

  private timersOf(name: string): NodeTimers {
    let timers = this.timers.get(name);
    if (timers === undefined) this.timers.set(name, (timers = { warned: new Set() }));
    return timers;
  }

  private clearTimers(name: string): void {
    const timers = this.timers.get(name);
    if (timers === undefined) return;
    clearTimeout(timers.retry);
    clearTimeout(timers.warning);
    this.timers.delete(name);
  }

  /** Stops every timer (process shutdown): the run's record stays as last saved. */
  stop(): void {
    for (const name of [...this.timers.keys()]) this.clearTimers(name);
  }

  private change(change: PipelineChange): void {
    this.publish(change);
  }

  private publish(change: PipelineChange): void {
    this.deps.publish({ type: 'pipeline.changed', pipelineRunId: this.run.id, change });
  }

  /** Saves the run's latest state, one save at a time; the final one resolves {@link whenEnded}. */
  private persist(): void {
    this.dirty = true;
    if (this.saving !== undefined) return;
    this.saving = (async () => {
      while (this.dirty) {
        this.dirty = false;
        const snapshot = structuredClone(this.run);
        try {
          await this.deps.save(snapshot);
        } catch (error) {
          // Recorded, and the next change saves the whole state again.
          this.deps.onError(error);
        }
        if (isFinalRunStatus(snapshot.status) && !this.dirty) this.resolveEnded(snapshot);
      }
      this.saving = undefined;
    })();
  }
}
