import path from 'node:path';
import { ERROR_CODES, StepflowError, notFound } from '../../core/errors.js';
import { isExecutionEvent, type StepflowEvent } from '../../core/events.js';
import { createExecutionIdFactory } from '../../core/execution-ids.js';
import type { Execution, ExecutionOwner } from '../../core/model.js';
import { nodeHistory } from '../../core/pipelines/node-timing.js';
import type { PipelineDefinition } from '../../core/pipelines/pipeline-definition.js';
import {
  PIPELINE_NODE_TAG,
  PIPELINE_RUN_TAG,
  isFinalNodeStatus,
  isFinalRunStatus,
  newRunNodes,
  type PipelineRun,
  type PipelineRunJobLink,
} from '../../core/pipelines/pipeline-run.js';
import { nodesToRerun } from '../../core/pipelines/pipeline-rules.js';
import { isTerminalExecutionStatus } from '../../core/statuses.js';
import type { EventBus } from '../../engine/event-bus.js';
import type { PipelineRunPage, PipelineRunQuery, PipelineRunStore } from '../../store/pipeline-run-store.js';
import type { Executions } from '../executions.js';
import { PipelineDriver } from './pipeline-driver.js';

/** Past runs a new run's ETA and "slower than its p95" come from. */
const HISTORY_RUNS = 20;

/** The pipeline run use cases (docs/PIPELINES-RUNNING.md): start, read, cancel, re-run. */
export interface PipelineRuns {
  /**
   * Creates a run of `definition` and starts its first nodes; never waits for them. `cwd`: where
   * relative working directories resolve (the caller's; the definition's own `cwd` wins). `env`:
   * added to the definition's (its values win; a node's own still wins over both). `job`: the job
   * fire that starts it, saved with the run.
   */
  start(
    definition: PipelineDefinition,
    options: {
      cwd: string;
      createdBy?: string;
      env?: Record<string, string>;
      job?: PipelineRunJobLink;
    },
  ): Promise<PipelineRun>;
  /** The run as this process knows it now (a run it drives is fresher than the store). */
  get(id: string): Promise<PipelineRun>;
  list(query: PipelineRunQuery): Promise<PipelineRunPage>;
  /**
   * Stops every running node's process tree (through `executions.cancel`); nodes not started end
   * `cancelled`. An ended run is a `conflict`.
   */
  cancel(id: string): Promise<PipelineRun>;
  /**
   * A new run of the same definition, linked back (`rerunOf`). `failed`: only the nodes that did
   * not succeed and those after them run; the others keep their state and outputs.
   */
  rerun(
    id: string,
    options: { only: 'failed' | 'all'; createdBy?: string; job?: PipelineRunJobLink },
  ): Promise<PipelineRun>;
  /**
   * Resolves with the run's final state: when this process drives it, at its end; an ended run at
   * once. A run another process drives is a `conflict` (its end is heard there, not here).
   */
  ended(id: string): Promise<PipelineRun>;
  /**
   * A job's pipeline runs going on (any replica's), for its overlap policy. One whose driving
   * process died (this host only can tell) is driven by nobody: it is ended `cancelled` here and
   * not counted, so a restart does not block the job's fires for good.
   */
  openRunsOfJob(jobId: string): Promise<string[]>;
  close(): void;
}

export interface PipelineRunsDeps {
  store: PipelineRunStore;
  executions: Pick<Executions, 'submit' | 'cancel' | 'reads'>;
  bus: EventBus;
  now?: () => Date;
  /** How often nodes run by other processes (workers) are read from the store; default 1 s. */
  pollMs?: number;
  onError?: (error: unknown) => void;
  /** This process, saved on each run it drives. */
  owner?: ExecutionOwner;
  /** Whether a run's driver still lives (true when it cannot tell: another host). */
  isOwnerAlive?: (owner: ExecutionOwner) => boolean;
}

/** A job's pipeline runs open at once: far beyond any overlap limit (`MAX_CONCURRENT_RUNS`). */
const OPEN_RUNS_LIMIT = 500;

const conflict = (message: string) => new StepflowError(ERROR_CODES.CONFLICT, message);

export function createPipelineRuns(deps: PipelineRunsDeps): PipelineRuns {
  const { store, executions, bus } = deps;
  const now = deps.now ?? (() => new Date());
  const onError = deps.onError ?? ((error: unknown) => console.error('stepflow: pipeline run:', error));
  const newId = createExecutionIdFactory();
  const drivers = new Map<string, PipelineDriver>();

  const unsubscribe = bus.subscribe((event: StepflowEvent) => {
    if (!isExecutionEvent(event)) return;
    if (event.type === 'step.started' || event.type === 'step.finished') {
      for (const driver of drivers.values()) {
        const node = driver.nodeOfExecution(event.executionId);
        if (node !== undefined) {
          driver.step(
            node.name,
            event.executionId,
            event.type === 'step.started' ? 'started' : 'finished',
            event.step,
          );
        }
      }
      return;
    }
    if (event.type !== 'execution.started' && event.type !== 'execution.finished') return;
    const runId = event.execution.tags[PIPELINE_RUN_TAG];
    const nodeName = event.execution.tags[PIPELINE_NODE_TAG];
    if (runId === undefined || nodeName === undefined) return;
    drivers.get(runId)?.observe(nodeName, event.execution);
  });

  // Nodes run elsewhere (a worker reporting to another replica) end in the store, not on this bus.
  let polling = false;
  const poll = setInterval(() => {
    if (polling || drivers.size === 0) return;
    polling = true;
    void (async () => {
      for (const driver of [...drivers.values()]) {
        for (const executionId of driver.openExecutions()) {
          const execution = await executions.reads.getExecution(executionId);
          const node = driver.nodeOfExecution(executionId);
          if (execution === undefined || node === undefined) continue;
          if (execution.status === 'running' || isTerminalExecutionStatus(execution.status)) {
            driver.observe(node.name, execution);
          }
        }
      }
    })()
      .catch(onError)
      .finally(() => (polling = false));
  }, deps.pollMs ?? 1000);
  poll.unref();

  const drive = async (run: PipelineRun): Promise<PipelineRun> => {
    const past = await store.listPipelineRuns({
      name: run.name,
      status: ['succeeded', 'failed'],
      limit: HISTORY_RUNS,
    });
    await store.insertPipelineRun(run);
    const driver = new PipelineDriver(run, nodeHistory(past.items), {
      submit: (spec) =>
        executions.submit(spec, run.createdBy === undefined ? {} : { createdBy: run.createdBy }),
      cancel: async (executionId) => {
        await executions
          .cancel(executionId, { reason: 'its pipeline run was cancelled' })
          .catch((error: unknown) => {
            // It ended meanwhile: its end comes through the bus or the poll.
            if (!(error instanceof StepflowError && error.code === ERROR_CODES.CONFLICT)) throw error;
          });
      },
      save: (snapshot) => store.updatePipelineRun(snapshot),
      publish: (event) => bus.publish(event),
      now,
      onError,
    });
    drivers.set(run.id, driver);
    void driver.whenEnded().then(() => {
      driver.stop();
      drivers.delete(run.id);
    });
    driver.start();
    return structuredClone(driver.run);
  };

  const read = async (id: string): Promise<PipelineRun> => {
    const driven = drivers.get(id);
    if (driven !== undefined) return structuredClone(driven.run);
    const stored = await store.getPipelineRun(id);
    if (stored === undefined) throw notFound('pipeline run', id);
    return stored;
  };

  const newRun = (
    definition: PipelineDefinition,
    extra: Pick<PipelineRun, 'rerunOf'> & {
      createdBy?: string | undefined;
      job?: PipelineRunJobLink | undefined;
    },
  ): PipelineRun => {
    const created = now();
    return {
      id: newId(created.getTime()),
      name: definition.name,
      definition,
      status: 'queued',
      createdAt: created.toISOString(),
      startedAt: null,
      endedAt: null,
      ...(extra.createdBy === undefined ? {} : { createdBy: extra.createdBy }),
      rerunOf: extra.rerunOf,
      cancelRequested: false,
      nodes: newRunNodes(definition),
      ...(extra.job === undefined ? {} : { job: extra.job }),
      ...(deps.owner === undefined ? {} : { driver: deps.owner }),
    };
  };

  /** Ends a run nobody drives, with what it still runs: its open executions are cancelled. */
  const endUndriven = async (run: PipelineRun, reason: string): Promise<PipelineRun> => {
    for (const node of run.nodes) {
      const last = node.attempts.at(-1);
      if (last !== undefined && !isTerminalExecutionStatus(last.status as Execution['status'])) {
        await executions.cancel(last.executionId).catch(onError);
      }
      if (!isFinalNodeStatus(node.status)) {
        node.status = 'cancelled';
        node.reason = reason;
        node.endedAt = now().toISOString();
      }
    }
    const ended = {
      ...run,
      cancelRequested: true,
      status: 'cancelled' as const,
      endedAt: now().toISOString(),
    };
    await store.updatePipelineRun(ended);
    return ended;
  };

  return {
    async start(definition, options) {
      // The run keeps where it ran: its retries and re-runs resolve paths the same way.
      const resolved = {
        ...withCallerEnv(definition, options.env ?? {}),
        cwd: path.resolve(options.cwd, definition.cwd ?? '.'),
      };
      return drive(newRun(resolved, { rerunOf: null, createdBy: options.createdBy, job: options.job }));
    },

    get: read,

    list: (query) => store.listPipelineRuns(query),

    async cancel(id) {
      const driven = drivers.get(id);
      if (driven !== undefined) {
        driven.cancel();
        return structuredClone(driven.run);
      }
      const run = await read(id);
      if (isFinalRunStatus(run.status))
        throw conflict(`pipeline run ${id} has already ended (${run.status})`);
      // Nobody drives it (the process that did stopped): end it here, with what it still runs.
      return endUndriven(run, 'the pipeline run was cancelled');
    },

    async openRunsOfJob(jobId) {
      const page = await store.listPipelineRuns({
        jobId,
        status: ['queued', 'running'],
        limit: OPEN_RUNS_LIMIT,
      });
      const open: string[] = [];
      for (const run of page.items) {
        const orphan =
          !drivers.has(run.id) &&
          run.driver !== undefined &&
          deps.isOwnerAlive !== undefined &&
          !deps.isOwnerAlive(run.driver);
        if (!orphan) open.push(run.id);
        // Its end is recorded; failing that, it is not counted anyway (the error is reported).
        else await endUndriven(run, 'the StepFlow process that drove it stopped').catch(onError);
      }
      return open;
    },

    async rerun(id, options) {
      const previous = await read(id);
      if (!isFinalRunStatus(previous.status)) {
        throw conflict(`pipeline run ${id} is still ${previous.status}; cancel it or wait for its end`);
      }
      const run = newRun(previous.definition, {
        rerunOf: id,
        createdBy: options.createdBy,
        job: options.job,
      });
      if (options.only === 'failed') {
        const again = nodesToRerun(previous.definition, previous);
        run.nodes = run.nodes.map((node) =>
          again.has(node.name)
            ? node
            : structuredClone(previous.nodes.find((old) => old.name === node.name) ?? node),
        );
      }
      return drive(run);
    },

    async ended(id) {
      const driven = drivers.get(id);
      if (driven !== undefined) return driven.whenEnded();
      const run = await read(id);
      if (isFinalRunStatus(run.status)) return run;
      throw conflict(`pipeline run ${id} is driven by another StepFlow process`);
    },

    close() {
      unsubscribe();
      clearInterval(poll);
      for (const driver of drivers.values()) driver.stop();
      drivers.clear();
    },
  };
}

/**
 * The definition with the caller's `env` over the pipeline's: each node's env holds the pipeline's
 * already (the parser overlays it), so a value the node took from the pipeline gives way, and one
 * the node sets itself stays.
 */
function withCallerEnv(definition: PipelineDefinition, env: Record<string, string>): PipelineDefinition {
  if (Object.keys(env).length === 0) return definition;
  const fromPipeline = (node: PipelineDefinition['nodes'][number], key: string) =>
    !Object.hasOwn(node.env, key) || node.env[key] === definition.env[key];
  return {
    ...definition,
    env: { ...definition.env, ...env },
    nodes: definition.nodes.map((node) => {
      const own = { ...node.env };
      for (const [key, value] of Object.entries(env)) if (fromPipeline(node, key)) own[key] = value;
      return { ...node, env: own };
    }),
  };
}
