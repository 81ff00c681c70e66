import { Type } from '@sinclair/typebox';
import { ERROR_CODES, StepflowError, isStepflowError, validationError } from '../../core/errors.js';
import { allows } from '../../core/access.js';
import { principalOf } from '../route-access.js';
import type { UnreadableRecord } from '../../store/store.js';
import type { Job, JobDefinition } from '../../core/jobs/job.js';
import { nextFireTimes } from '../../core/jobs/triggers.js';
import { validateTrigger } from '../../core/jobs/validate-job.js';
import { ExecutionSchema } from '../../protocol/api-schemas.js';
import { toPipelineRunJson } from '../../protocol/pipeline-json.js';
import { PipelineRunSchema } from '../../protocol/pipeline-schemas.js';
import {
  CreateJobBodySchema,
  DeliveryListSchema,
  FireListSchema,
  HistoryQuerySchema,
  JobListQuerySchema,
  JobListSchema,
  JobParamsSchema,
  JobSchema,
  type JobBody,
  type JobListBody,
  SchedulePreviewQuerySchema,
  SchedulePreviewSchema,
  UpdateJobBodySchema,
} from '../../protocol/job-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';
import { jobFromCreateBody, jobFromUpdateBody } from './job-from-body.js';
import { toJobJson } from './job-json.js';
import { requireJson } from './require-json.js';
import { strictValidator } from './strict-validator.js';

const tags = ['jobs'];

/** Jobs: CRUD, run now, pause/resume, fire history, webhook deliveries, and a schedule preview. */
export async function jobsRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const { jobs, environments } = context.app;
  /** A job naming an environment that does not exist is refused now, not at each fire. */
  const knownEnvironment = async (definition: JobDefinition): Promise<JobDefinition> => {
    const name = definition.environment;
    if (name !== undefined && !(await environments.list()).some((environment) => environment.name === name)) {
      throw validationError(`body.environment: no environment named ${JSON.stringify(name)}`, {
        field: 'environment',
      });
    }
    return definition;
  };
  const json = async (job: Job) => {
    const [lastRuns, retries] = await Promise.all([jobs.reads.lastRuns(), jobs.reads.listPendingRetries()]);
    return toJobJson(job, {
      nowMs: Date.now(),
      lastRun: lastRuns.get(job.id),
      activeRuns: jobs.activeRuns(job.id),
      pendingRetries: retries.filter((retry) => retry.jobId === job.id),
    });
  };

  // A job that cannot be read is logged once per server life, when first seen (at start or in a list).
  const reported = new Set<string>();
  const report = (problems: UnreadableRecord[]): void => {
    for (const { id, error } of problems) {
      if (reported.has(id)) continue;
      reported.add(id);
      app.log.warn(
        { jobId: id, reason: error },
        'a stored job cannot be read: it is skipped (delete it by id)',
      );
    }
  };
  app.addHook('onReady', async () => report((await jobs.reads.listJobs()).unreadable));

  app.post(
    '/api/jobs',
    {
      config: { permission: 'jobs:write', audit: { action: 'job.create', object: 'response:id' } },
      preValidation: requireJson,
      validatorCompiler: strictValidator,
      schema: {
        tags,
        summary: 'Create a job; its triggers are armed at once',
        body: CreateJobBodySchema,
        response: { 201: JobSchema, ...errorResponses(400, 403, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      if (request.body.backup !== undefined) backupJobsNeedAdmin(request);
      // Every check happens before the one write; the store commits only what it can read back.
      const job = await jobs.create(
        await knownEnvironment(await jobFromCreateBody(request.body, process.cwd(), Date.now())),
      );
      let body: JobBody;
      try {
        body = await json(job);
      } catch (error) {
        // The client hears of a failure and gets no id: the job must not stay behind, unreachable.
        await jobs.delete(job.id);
        throw error;
      }
      return reply.status(201).header('location', `/api/jobs/${job.id}`).send(body);
    },
  );

  app.get(
    '/api/jobs',
    {
      config: { permission: 'jobs:read' },
      schema: {
        tags,
        summary: 'Every job, by name, with next fire time and last run (and its recent runs if asked)',
        querystring: JobListQuerySchema,
        response: { 200: JobListSchema, ...errorResponses(400) },
      },
    },
    async (request) => {
      const [{ jobs: all, unreadable }, lastRuns, retries] = await Promise.all([
        jobs.reads.listJobs(),
        jobs.reads.lastRuns(),
        jobs.reads.listPendingRetries(),
      ]);
      const { recentRuns: perJob } = request.query;
      // One request for a whole jobs table, not one per row.
      const recent =
        perJob === undefined
          ? undefined
          : await jobs.reads.recentRuns(
              all.map((job) => job.id),
              perJob,
            );
      const now = Date.now();
      const items: JobListBody['items'] = [];
      const problems = [...unreadable];
      for (const job of all) {
        try {
          items.push({
            ...toJobJson(job, {
              nowMs: now,
              lastRun: lastRuns.get(job.id),
              activeRuns: jobs.activeRuns(job.id),
              pendingRetries: retries.filter((retry) => retry.jobId === job.id),
            }),
            ...(recent ? { recentRuns: recent.get(job.id) ?? [] } : {}),
          });
        } catch (error) {
          // A job the store read but that still cannot be shown is skipped the same way.
          problems.push({
            id: job.id,
            name: job.name,
            error: `job ${job.id} cannot be shown: ${String(error)}`,
          });
        }
      }
      report(problems);
      return problems.length > 0 ? { items, problems } : { items };
    },
  );

  app.get(
    '/api/jobs/:id',
    {
      config: { permission: 'jobs:read' },
      schema: {
        tags,
        summary: 'One job',
        params: JobParamsSchema,
        response: { 200: JobSchema, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => json(await jobs.get(request.params.id)),
  );

  app.patch(
    '/api/jobs/:id',
    {
      config: { permission: 'jobs:write', audit: { action: 'job.update', object: 'param:id' } },
      preValidation: requireJson,
      validatorCompiler: strictValidator,
      schema: {
        tags,
        summary: 'Change a job: fields given replace its own; unchanged triggers keep their history',
        params: JobParamsSchema,
        body: UpdateJobBodySchema,
        response: { 200: JobSchema, ...errorResponses(400, 403, 404, 409, 413, 415) },
      },
    },
    async (request) => {
      const job = await jobs.update(request.params.id, (current) => {
        if (request.body.backup !== undefined || current.backup) backupJobsNeedAdmin(request);
        return jobFromUpdateBody(current, request.body, process.cwd(), Date.now()).then(knownEnvironment);
      });
      return json(job);
    },
  );

  app.delete(
    '/api/jobs/:id',
    {
      config: { permission: 'jobs:write', audit: { action: 'job.delete', object: 'param:id' } },
      schema: {
        tags,
        summary: 'Delete a job with its history; its executions stay (runs in progress go on)',
        params: JobParamsSchema,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      await jobs.delete(request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/api/jobs/:id/run',
    {
      config: { permission: 'jobs:write', audit: { action: 'job.run', object: 'param:id' } },
      schema: {
        tags,
        summary:
          'Run the job now (beyond MAX_CONCURRENT_TASKS it waits as queued); the overlap policy does not apply. A pipeline job answers with the pipeline run it started',
        params: JobParamsSchema,
        response: {
          201: Type.Union([ExecutionSchema, PipelineRunSchema]),
          ...errorResponses(400, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const started = await jobs.runNow(request.params.id);
      if (started.kind === 'pipeline') {
        const run = started.pipelineRun;
        return reply
          .status(201)
          .header('location', `/api/pipelines/runs/${run.id}`)
          .send(toPipelineRunJson(run, Date.now()));
      }
      const { execution } = started;
      return reply.status(201).header('location', `/api/executions/${execution.id}`).send(execution);
    },
  );

  for (const action of ['pause', 'resume'] as const) {
    app.post(
      `/api/jobs/:id/${action}`,
      {
        config: { permission: 'jobs:write', audit: { action: `job.${action}`, object: 'param:id' } },
        schema: {
          tags,
          summary:
            action === 'pause'
              ? 'Stop firing (runs in progress go on; waiting fires and retries are dropped)'
              : 'Fire again, from now on (fire times passed while paused are not run)',
          params: JobParamsSchema,
          response: { 200: JobSchema, ...errorResponses(400, 404, 409) },
        },
      },
      async (request) => {
        return json(await jobs[action](request.params.id));
      },
    );
  }

  app.get(
    '/api/jobs/:id/history',
    {
      config: { permission: 'jobs:read' },
      schema: {
        tags,
        summary: 'Fire history, newest first: started, queued, skipped and missed fire times',
        params: JobParamsSchema,
        querystring: HistoryQuerySchema,
        response: { 200: FireListSchema, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => {
      const job = await jobs.get(request.params.id);
      const fires = await jobs.reads.listFires(request.params.id, { limit: request.query.limit });
      // A job runs one kind of thing for life: a pipeline job's fires started pipeline runs.
      const pipeline = job.pipeline !== undefined;
      return {
        items: fires.map((fire) => ({
          ...fire,
          executionId: pipeline ? null : fire.executionId,
          pipelineRunId: pipeline ? fire.executionId : null,
        })),
      };
    },
  );

  app.get(
    '/api/jobs/:id/deliveries',
    {
      config: { permission: 'jobs:read' },
      schema: {
        tags,
        summary: 'Webhook delivery attempts, newest first',
        params: JobParamsSchema,
        querystring: HistoryQuerySchema,
        response: { 200: DeliveryListSchema, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => {
      const job = await jobs.get(request.params.id);
      const deliveries = await jobs.reads.listDeliveries(request.params.id, { limit: request.query.limit });
      // As the fire history: a pipeline job's deliveries are about pipeline runs.
      const pipeline = job.pipeline !== undefined;
      return {
        items: deliveries.map((delivery) => ({
          ...delivery,
          executionId: pipeline ? null : delivery.executionId,
          pipelineRunId: pipeline ? delivery.executionId : null,
        })),
      };
    },
  );

  app.get(
    '/api/schedules/preview',
    {
      config: { permission: 'jobs:read' },
      schema: {
        tags,
        summary:
          'Check a trigger and list its next fire times (for a job form); a trigger that does not parse is 200 with valid=false, a value outside its documented range a 400',
        querystring: SchedulePreviewQuerySchema,
        response: { 200: SchedulePreviewSchema, ...errorResponses(400) },
      },
    },
    async (request) => {
      const { count = 5, ...input } = request.query;
      const now = Date.now();
      try {
        const spec = validateTrigger(input, 'query', now);
        const times = nextFireTimes({ ...spec, anchorMs: now }, now, count);
        return { valid: true, error: null, nextRuns: times.map((ms) => new Date(ms).toISOString()) };
      } catch (error) {
        if (!isStepflowError(error)) throw error;
        const field = (error.details as { field?: string } | undefined)?.field ?? null;
        return { valid: false, error: { code: error.code, message: error.message, field }, nextRuns: [] };
      }
    },
  );
}

/**
 * A backup job writes the whole database into a folder it names and deletes older archives there:
 * what `POST /api/admin/backup` allows only an admin (`settings:admin`), so creating or changing
 * one needs the same, whatever `jobs:write` allows otherwise.
 */
function backupJobsNeedAdmin(request: Parameters<typeof principalOf>[0]): void {
  if (allows(principalOf(request), 'settings:admin')) return;
  throw new StepflowError(
    ERROR_CODES.FORBIDDEN,
    'a backup job needs the settings:admin permission (an admin), as POST /api/admin/backup does',
  );
}
