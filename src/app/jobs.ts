import { ERROR_CODES, StepflowError, isStepflowError, notFound, validationError } from '../core/errors.js';
import type { JobEvent } from '../core/events.js';
import type { Job, JobDefinition } from '../core/jobs/job.js';
import type { Execution } from '../core/model.js';
import type { PipelineRun } from '../core/pipelines/pipeline-run.js';
import type { EventBus } from '../engine/event-bus.js';
import type { Scheduler } from '../scheduler/scheduler.js';
import type { SecretKeeper } from '../secrets/secret-keeper.js';
import type { JobStore } from '../store/job-store.js';

/** What callers may read straight from the job store. */
type JobReads = Pick<
  JobStore,
  'getJob' | 'listJobs' | 'listFires' | 'listDeliveries' | 'lastRuns' | 'recentRuns' | 'listPendingRetries'
>;

/**
 * The job use cases. Every change is saved, then the scheduler re-reads the job, then the change
 * goes out on the event stream (`job.created`…): the dashboard, the CLI and other tabs follow it.
 */
export interface Jobs {
  create(definition: JobDefinition): Promise<Job>;
  /** Replaces the definition of `id` with what `change` makes of the current one. */
  update(id: string, change: (current: Job) => Promise<JobDefinition>): Promise<Job>;
  delete(id: string): Promise<void>;
  pause(id: string): Promise<Job>;
  resume(id: string): Promise<Job>;
  /**
   * Starts a run now, outside the triggers and the overlap policy (recorded as a manual fire): an
   * execution, or for a pipeline job a pipeline run.
   */
  runNow(id: string): Promise<StartedJobRun>;
  /** The job (not found: throws). */
  get(id: string): Promise<Job>;
  /** Runs of the job in progress in this process (attempts and retries waiting). */
  activeRuns(id: string): number;
  readonly reads: JobReads;
}

type StartedJobRun =
  { kind: 'execution'; execution: Execution } | { kind: 'pipeline'; pipelineRun: PipelineRun };

/** What the jobs need of the pipelines: a pipeline job names a saved one, and starts its runs. */
interface JobPipelines {
  /** The saved pipeline (throws `not_found` when there is none by that name). */
  savedPipeline(name: string): Promise<unknown>;
  pipelineRun(id: string): Promise<PipelineRun>;
}

type DefinitionChange = Extract<
  JobEvent,
  { type: 'job.updated' | 'job.paused' | 'job.resumed' | 'job.deleted' }
>['type'];

export interface JobsDeps {
  jobs: JobStore;
  scheduler: Pick<Scheduler, 'reload' | 'runNow' | 'activeRuns'>;
  bus: Pick<EventBus, 'publish'>;
  /** Seals the secret values of a definition before it is stored (docs/SECRETS.md). */
  secrets: Pick<SecretKeeper, 'seal'>;
  /** Whether the backend's database is in the data dir, so backup jobs can back it up (SQLite). */
  backups?: boolean;
  /**
   * Commits what the store writer holds: runs' states lag the event stream by up to one writer
   * interval, and a client re-reads the jobs list when it hears a run end.
   */
  settle?: () => Promise<void>;
  pipelines?: JobPipelines;
}

export function createJobs({
  jobs,
  scheduler,
  bus,
  secrets,
  backups = false,
  settle = async () => undefined,
  pipelines,
}: JobsDeps): Jobs {
  /**
   * A pipeline job must name a saved pipeline when it is saved (a typo is a 400, not a skipped fire
   * days later); one deleted afterwards skips the fires, saying so.
   */
  const pipelineExists = async (definition: JobDefinition): Promise<JobDefinition> => {
    const name = definition.pipeline;
    if (name === undefined) return definition;
    if (pipelines === undefined)
      throw new StepflowError(ERROR_CODES.UNSUPPORTED, 'this StepFlow cannot run pipeline jobs');
    try {
      await pipelines.savedPipeline(name);
    } catch (error) {
      if (isStepflowError(error) && error.code === ERROR_CODES.NOT_FOUND) {
        throw validationError(
          `body.pipeline: there is no saved pipeline named ${JSON.stringify(name)} (GET /api/pipelines lists them)`,
          { field: 'pipeline' },
        );
      }
      throw error;
    }
    return definition;
  };
  // Refused when saved rather than failing at every run: PostgreSQL has its own tools.
  const backupsHere = (definition: JobDefinition): JobDefinition => {
    if (definition.backup && !backups) {
      throw new StepflowError(
        ERROR_CODES.UNSUPPORTED,
        'a backup job backs up the SQLite data dir; this StepFlow uses PostgreSQL (STEPFLOW_DATABASE_URL): schedule pg_dump as an ordinary job instead, as docs/OPERATIONS.md shows',
      );
    }
    return definition;
  };
  const get = async (id: string): Promise<Job> => {
    const job = await jobs.getJob(id);
    if (job === undefined) throw notFound('job', id);
    return job;
  };
  const changed = async (type: DefinitionChange, jobId: string): Promise<void> => {
    await scheduler.reload(jobId);
    bus.publish({ type, jobId });
  };
  const setEnabled = async (id: string, enabled: boolean): Promise<Job> => {
    const job = await jobs.setEnabled(id, enabled);
    await changed(enabled ? 'job.resumed' : 'job.paused', job.id);
    return job;
  };

  // Reads of runs' states see what this process's writer holds, as the executions' reads do.
  const reads: JobReads = {
    getJob: (id) => jobs.getJob(id),
    listJobs: () => jobs.listJobs(),
    listFires: (...args) => jobs.listFires(...args),
    listDeliveries: (...args) => jobs.listDeliveries(...args),
    listPendingRetries: (...args) => jobs.listPendingRetries(...args),
    lastRuns: async () => {
      await settle();
      return jobs.lastRuns();
    },
    recentRuns: async (...args) => {
      await settle();
      return jobs.recentRuns(...args);
    },
  };

  return {
    reads,
    get,
    activeRuns: (id) => scheduler.activeRuns(id),
    async runNow(id) {
      const started = await scheduler.runNow(id);
      if (started.kind === 'execution') return started;
      if (pipelines === undefined) throw new Error('a pipeline run started without pipelines');
      return { kind: 'pipeline', pipelineRun: await pipelines.pipelineRun(started.id) };
    },
    pause: (id) => setEnabled(id, false),
    resume: (id) => setEnabled(id, true),

    async create(definition) {
      const job = await jobs.createJob(secrets.seal(backupsHere(await pipelineExists(definition))));
      try {
        await scheduler.reload(job.id);
      } catch (error) {
        // The caller hears of a failure and gets no id: the job must not stay behind, unreachable.
        await jobs.deleteJob(job.id);
        await scheduler.reload(job.id);
        throw error;
      }
      bus.publish({ type: 'job.created', jobId: job.id });
      return job;
    },

    async update(id, change) {
      const current = await get(id);
      const next = await change(current);
      if ((next.pipeline === undefined) !== (current.pipeline === undefined)) {
        // Its fires, retries and webhooks name runs of one kind: a job keeps the kind it was made with.
        throw validationError(
          `body.pipeline: job ${current.name} runs ${current.pipeline === undefined ? 'a command' : 'a saved pipeline'}; a job cannot change between a command and a pipeline (create another job)`,
          { field: 'pipeline' },
        );
      }
      if (next.pipeline !== current.pipeline) await pipelineExists(next);
      // A value kept from `current` is sealed already and stays as it is.
      const job = await jobs.updateJob(current.id, secrets.seal(backupsHere(next)));
      await changed('job.updated', job.id);
      return job;
    },

    async delete(id) {
      await jobs.deleteJob(id);
      await changed('job.deleted', id);
    },
  };
}
