import type { Job } from '../../core/jobs/job.js';
import type { ExecutionStatus } from '../../core/statuses.js';
import type { PipelineRun, PipelineRunJobLink } from '../../core/pipelines/pipeline-run.js';
import type { PipelineTarget, StartedPipelineRun } from '../../scheduler/job-runs.js';
import type { SavedPipelines } from '../saved-pipelines.js';
import type { PipelineRuns } from './pipeline-runs.js';

/**
 * How the scheduler runs a pipeline job's attempts (docs/JOBS.md, "Pipeline jobs"), bound by the
 * composition root. The saved pipeline is read at each fire, as it is then; the job's `env` is added
 * to the pipeline's (the job's values win, a node's own still wins over both), its `cwd` is where
 * relative node directories resolve, and its `timeoutSeconds` cancels the whole pipeline run, which
 * then counts as `timed_out` (a failure: retried, and a `failure` webhook).
 *
 * `app` is read at each call: the scheduler is built before the application it belongs to.
 */
export function createJobPipelines(
  app: () => { savedPipelines: Pick<SavedPipelines, 'definition'>; pipelines: PipelineRuns },
): PipelineTarget {
  const follow = (run: PipelineRun, job: Job): StartedPipelineRun => {
    const { pipelines } = app();
    let timedOut = false;
    const timer =
      job.timeoutSeconds === null
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            // It ended meanwhile (a conflict): its end is what it is.
            pipelines.cancel(run.id).catch(() => undefined);
          }, job.timeoutSeconds * 1000);
    timer?.unref();
    const done = pipelines.ended(run.id).then(
      (final) => {
        clearTimeout(timer);
        const status: ExecutionStatus =
          timedOut && final.status === 'cancelled' ? 'timed_out' : (final.status as ExecutionStatus);
        return { id: final.id, status };
      },
      (error: unknown) => {
        clearTimeout(timer);
        throw error;
      },
    );
    return { id: run.id, done };
  };

  return {
    async start(job, link: PipelineRunJobLink) {
      const { savedPipelines, pipelines } = app();
      // Not found (deleted since the job was saved): the scheduler skips the fire with this message.
      const definition = await savedPipelines.definition(job.pipeline ?? '');
      const run = await pipelines.start(definition, {
        cwd: job.cwd,
        env: job.env,
        createdBy: `job:${job.name}`,
        job: link,
      });
      return follow(run, job);
    },
    async rerunFailed(job, failedId, link) {
      const run = await app().pipelines.rerun(failedId, {
        only: 'failed',
        createdBy: `job:${job.name}`,
        job: link,
      });
      return follow(run, job);
    },
    cancel: (id) => app().pipelines.cancel(id),
    openRuns: (jobId) => app().pipelines.openRunsOfJob(jobId),
  };
}
