import { rm } from 'node:fs/promises';
import { ARTIFACT_STORE_DIR, resolveStoredArtifact } from '../artifacts/stored-artifact-path.js';
import { ERROR_CODES, StepflowError, isStepflowError, notFound, validationError } from '../core/errors.js';
import type { Execution, ExecutionDetail, ExecutionSummary, RunSpec } from '../core/model.js';
import { isExecutionStatus, isTerminalExecutionStatus } from '../core/statuses.js';
import type { Engine } from '../engine/engine.js';
import type { RequestedCancel } from '../engine/request-cancel.js';
import type { StoreWriter } from '../engine/store-writer.js';
import { REMOTE_TAG } from '../core/remote-tag.js';
import type { ExecutionStore } from '../store/store.js';

/** What callers may read straight from the store: reads have no rules beyond "it exists". */
export type ExecutionReads = Pick<
  ExecutionStore,
  | 'getExecution'
  | 'getSummary'
  | 'listExecutions'
  | 'readLog'
  | 'readLogText'
  | 'readLogOutline'
  | 'searchLog'
  | 'searchRuns'
  | 'listResourceSamples'
  | 'countByStatus'
  | 'lastSucceededByName'
  | 'recentRuns'
  | 'executionStats'
  | 'listArtifacts'
>;

/**
 * How a cancel went. This process's runs: `cancelled` at once (it was queued) or `stopping` (its
 * tree is being ended). Another process's: `requested` (recorded; its owner stops it within about
 * a second) or `interrupted` (its owner had died: recovered now, its leftovers ended).
 */
interface CancelOutcome {
  state: 'cancelled' | 'stopping' | 'requested' | 'interrupted';
  execution: Execution;
}

/** The execution use cases: what the API, the CLI and the scheduler do to executions. */
export interface Executions {
  /**
   * Starts a run (beyond the concurrency limit it waits as `queued`); never waits for it.
   * `createdBy`: who starts it (Execution.createdBy).
   */
  submit(spec: RunSpec, options?: { createdBy?: string }): Promise<Execution>;
  /**
   * Starts a run in this process and follows it: `done` resolves with its final state once the
   * end is on the event stream (the terminal's `stepflow run`).
   */
  run(
    spec: RunSpec,
    options?: { createdBy?: string },
  ): Promise<{ execution: Execution; done: Promise<Execution> }>;
  /** The execution as stored after everything this process published about it (not found: throws). */
  get(id: string): Promise<ExecutionDetail>;
  /** Its summary Markdown, the run's and each step's, as stored after what this process published. */
  summary(id: string): Promise<ExecutionSummary>;
  /** Cancels a run wherever it runs: this process, another on the same data dir, a remote client. */
  cancel(id: string, options?: { reason?: string }): Promise<CancelOutcome>;
  /**
   * A new run of the same spec, linked back (`rerunOf`); refused for a remote run (its command
   * belongs to another host). `fromStep`: a step name of that run, given to the new run as
   * `STEPFLOW_RESUME_FROM` (any other name is a `validation_failed` error naming its steps).
   * `done` as for {@link Executions.run} (the terminal's `stepflow rerun` follows it).
   */
  rerun(
    id: string,
    options?: { fromStep?: string; createdBy?: string },
  ): Promise<{ execution: Execution; done: Promise<Execution> }>;
  /** Deletes an ended execution with its log, steps and artifact files. */
  delete(id: string): Promise<void>;
  /** Pins (retention never expires it) or unpins a run, in any status; returns it as stored. */
  pin(id: string, pinned: boolean): Promise<Execution>;
  /** Executions this process runs or holds queued, as they are now. */
  active(): Execution[];
  /** Commits what this process published so far, so a read sees its own writes. */
  settle(): Promise<void>;
  /** Where the stored copy of an artifact lies on disk (`storedPath` as recorded). */
  storedArtifactFile(storedPath: string): string;
  readonly reads: ExecutionReads;
}

export interface ExecutionsDeps {
  store: ExecutionStore;
  engine: Pick<Engine, 'submit' | 'cancel' | 'active'>;
  /** Records a cancel for a run another process owns (engine/request-cancel.ts). */
  requestCancel: (id: string) => Promise<RequestedCancel>;
  writer: Pick<StoreWriter, 'flush'>;
  dataDir: string;
  /** Cancels a run queued for workers that none has claimed (engine/worker-dispatch.ts). */
  cancelQueued?: (id: string, reason?: string) => Promise<Execution | undefined>;
  /**
   * What a reader needs to know that the store does not hold: why a queued run waits
   * (`waitingFor`, app/workers.ts). Applied to every read of executions, so the API, the CLI and
   * the live hub's snapshots say the same.
   */
  explain?: <T extends Execution>(executions: readonly T[]) => Promise<T[]>;
}

/** The store's reads, with `explain` applied to the executions they return. */
export function explainedReads(store: ExecutionStore, explain: ExecutionsDeps['explain']): ExecutionReads {
  const bound: ExecutionReads = {
    getExecution: (id) => store.getExecution(id),
    getSummary: (id) => store.getSummary(id),
    listExecutions: (query) => store.listExecutions(query),
    readLog: (id, query) => store.readLog(id, query),
    readLogText: (id, query) => store.readLogText(id, query),
    readLogOutline: (id) => store.readLogOutline(id),
    searchLog: (id, query) => store.searchLog(id, query),
    searchRuns: (query) => store.searchRuns(query),
    listResourceSamples: (id) => store.listResourceSamples(id),
    countByStatus: () => store.countByStatus(),
    lastSucceededByName: (name, before) => store.lastSucceededByName(name, before),
    recentRuns: (id, limit) => store.recentRuns(id, limit),
    executionStats: (query) => store.executionStats(query),
    listArtifacts: (query) => store.listArtifacts(query),
  };
  if (explain === undefined) return bound;
  return {
    ...bound,
    async getExecution(id) {
      const detail = await store.getExecution(id);
      return detail === undefined ? undefined : (await explain([detail]))[0];
    },
    async listExecutions(query) {
      const page = await store.listExecutions(query);
      const items = await explain(page.items);
      // Unchanged items keep the page itself: the store may hand out the same cached page again.
      return items.every((item, i) => item === page.items[i]) ? page : { ...page, items };
    },
  };
}

const conflict = (message: string) => new StepflowError(ERROR_CODES.CONFLICT, message);

export function createExecutions(deps: ExecutionsDeps): Executions {
  const { store, engine, writer, dataDir } = deps;
  const reads = explainedReads(store, deps.explain);
  const get = async (id: string): Promise<ExecutionDetail> => {
    // The store lags the event stream by up to one writer interval (~100 ms).
    await writer.flush();
    const execution = await reads.getExecution(id);
    if (execution === undefined) throw notFound('execution', id);
    return execution;
  };

  return {
    reads,
    active: () => engine.active(),
    settle: () => writer.flush(),
    get,
    async summary(id) {
      await writer.flush();
      const summary = await store.getSummary(id);
      if (summary === undefined) throw notFound('execution', id);
      return summary;
    },
    storedArtifactFile: (storedPath) => resolveStoredArtifact(dataDir, storedPath),

    async submit(spec, options = {}) {
      return (await engine.submit(spec, createdByLink(options))).execution;
    },

    run: (spec, options = {}) => engine.submit(spec, createdByLink(options)),

    async cancel(id, options = {}) {
      const active = engine.active().find((execution) => execution.id === id);
      if (active !== undefined) {
        engine.cancel(id, options.reason);
        if (active.status === 'queued') return { state: 'cancelled', execution: await get(id) };
        return { state: 'stopping', execution: active };
      }
      const stored = await get(id);
      if (isTerminalExecutionStatus(stored.status)) {
        throw conflict(`execution ${id} has already ended (${stored.status}); there is nothing to cancel`);
      }
      // Waiting for a worker: nobody runs it, so it ends here (unless a worker claims it first).
      if (stored.runsOn !== undefined && stored.status === 'queued' && stored.worker === undefined) {
        const cancelled = await deps.cancelQueued?.(id, options.reason);
        if (cancelled !== undefined) return { state: 'cancelled', execution: cancelled };
      }
      // Another process runs it: it stops it when it sees the request (or it died: recovered now).
      const requested = await deps.requestCancel(id);
      return {
        state: requested.outcome === 'owner_dead' ? 'interrupted' : 'requested',
        execution: requested.execution,
      };
    },

    async rerun(id, options = {}) {
      const stored = await store.getRunSpec(id);
      if (stored === undefined) throw notFound('execution', id);
      // The environment is resolved again by its name: its current spec, or refused if it is gone.
      const { pythonEnvironment: _resolved, ...spec } = stored;
      const remoteHost = spec.tags?.[REMOTE_TAG];
      // Its command belongs to another machine: running it here could do anything.
      if (remoteHost !== undefined) throw conflict(`execution ${id} ran on ${remoteHost}; re-run it there`);
      // Its working directory was a copy of the project, removed when it ended (docs/WORKSPACE.md).
      if (spec.project !== undefined) {
        const { name, version } = spec.project;
        throw conflict(
          `execution ${id} ran in a copy of project ${name} (version ${version}), removed when it ended; ` +
            `start it again in the project (POST /api/executions with "project", or stepflow run --project ${name})`,
        );
      }
      const { fromStep } = options;
      if (fromStep !== undefined) checkStepName(await get(id), fromStep);
      return engine.submit(spec, {
        rerun: { rerunOf: id, resumeFrom: fromStep ?? null },
        ...createdByLink(options),
      });
    },

    async pin(id, pinned) {
      // After this process's own writes of the run, so the answer is its latest state.
      await writer.flush();
      return store.setPinned(id, pinned);
    },

    async delete(id) {
      if (engine.active().some((execution) => execution.id === id)) {
        throw conflict(`execution ${id} is still queued or running; cancel it first`);
      }
      const stored = await get(id).catch((error: unknown) => {
        // A damaged row can still be deleted: its status column says whether it may be.
        if (isStepflowError(error) && error.code === ERROR_CODES.UNREADABLE) return unreadableStatus(error);
        throw error;
      });
      if (isExecutionStatus(stored.status) && !isTerminalExecutionStatus(stored.status)) {
        throw conflict(`execution ${id} is ${stored.status} in another StepFlow process${ownerText(stored)}`);
      }
      // Rows first: once they are gone nothing points at the files, and a leftover file is only litter.
      await store.deleteExecution(id);
      await rm(resolveStoredArtifact(dataDir, `${ARTIFACT_STORE_DIR}/${id}`), {
        recursive: true,
        force: true,
      });
    },
  };
}

/** A step to resume from must be one the run printed: a typo would silently redo everything. */
function checkStepName(original: ExecutionDetail, fromStep: string): void {
  const names = [...new Set(original.steps.filter((step) => !step.implicit).map((step) => step.name))];
  if (names.includes(fromStep)) return;
  const which =
    names.length === 0
      ? 'it has no steps'
      : `its steps: ${names.map((name) => JSON.stringify(name)).join(', ')}`;
  throw validationError(
    `fromStep ${JSON.stringify(fromStep)} is not a step of execution ${original.id} (${which})`,
    {
      field: 'fromStep',
      steps: names,
    },
  );
}

function ownerText(execution: Pick<Execution, 'owner'>): string {
  return execution.owner ? ` (pid ${execution.owner.pid} on ${execution.owner.host})` : '';
}

/** What a delete needs of an execution that cannot be read: its status column, if any. */
function unreadableStatus(error: StepflowError): { status: string; owner: null } {
  const { status } = (error.details ?? {}) as { status?: unknown };
  return { status: typeof status === 'string' ? status : 'unknown', owner: null };
}

function createdByLink(options: { createdBy?: string }): { createdBy?: string } {
  return options.createdBy === undefined ? {} : { createdBy: options.createdBy };
}
