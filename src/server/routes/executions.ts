import { createdByOf } from '../../core/audit.js';
import { principalOf } from '../route-access.js';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { validationError } from '../../core/errors.js';
import { normalizeLabels } from '../../core/workers.js';
import { EXECUTION_STATUSES, isExecutionStatus } from '../../core/statuses.js';
import type { ExecutionStatus } from '../../core/statuses.js';
import {
  CreateExecutionBodySchema,
  ExecutionDetailSchema,
  ExecutionPageSchema,
  ExecutionParamsSchema,
  ExecutionSchema,
  ExecutionSummarySchema,
  ListExecutionsQuerySchema,
  RerunBodySchema,
  ResourceSeriesSchema,
} from '../../protocol/api-schemas.js';
import { toExecutionDetailJson } from '../../protocol/execution-json.js';
import type { ExecutionPage } from '../../store/store.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';
import { requireJson } from './require-json.js';
import { runSpecFromBody } from './run-spec-from-body.js';
import { strictValidator } from './strict-validator.js';

const tags = ['executions'];

/** Start, list, show, cancel, re-run and delete executions. Logs and artifacts have their own modules. */
export async function executionsRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const { executions } = context.app;
  const serializedPages = new WeakMap<ExecutionPage, Buffer>();

  app.post(
    '/api/executions',
    {
      config: { permission: 'runs:write', audit: { action: 'run.start', object: 'response:id' } },
      preValidation: requireJson,
      validatorCompiler: strictValidator,
      schema: {
        tags,
        summary:
          'Start an execution (runs in the background; beyond MAX_CONCURRENT_TASKS it waits as queued)',
        body: CreateExecutionBodySchema,
        response: { 201: ExecutionSchema, ...errorResponses(400, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      // Never waits for the script (`done`): the client polls, follows the log or watches the socket.
      const createdBy = createdByOf(principalOf(request));
      const submitted =
        request.body.project === undefined
          ? await executions.submit(await runSpecFromBody(request.body, process.cwd()), { createdBy })
          : await context.app.projects.runIn(
              request.body.project,
              request.body.cwd,
              async (place) => {
                // A worker's run has its cwd relative to the project's root (checked by place): the
                // worker resolves it in its own copy (docs/WORKSPACE.md).
                const { cwd: _relative, ...rest } = request.body;
                const spec = await runSpecFromBody(
                  place.project.id === undefined ? { ...rest, cwd: place.cwd } : rest,
                  place.cwd,
                );
                return executions.submit({ ...spec, cwd: place.cwd, project: place.project }, { createdBy });
              },
              { runsOn: normalizeLabels(request.body.runsOn ?? [], 'body.runsOn') },
            );
      const execution = (await context.app.workers.withWaitingReasons([submitted]))[0] ?? submitted;
      return reply.status(201).header('location', `/api/executions/${execution.id}`).send(execution);
    },
  );

  app.get(
    '/api/executions',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags,
        summary: 'List executions, newest first or with order=asc oldest first (keyset pagination)',
        querystring: ListExecutionsQuerySchema,
        response: { 200: ExecutionPageSchema, ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const { status, tag, q, since, until, limit, cursor, order, jobId, rerunOf } = request.query;
      const page = await executions.reads.listExecutions({
        jobId,
        rerunOf,
        status: statusesFrom(status),
        tags: tag,
        text: q,
        since: isoParam('since', since),
        until: isoParam('until', until),
        limit,
        cursor,
        order,
      });
      // The store hands out the same page while nothing changed (dashboards poll): so serialize
      // and encode once. A Buffer goes out as it is (a string would be UTF-8 encoded per request:
      // 2.5 % of the main thread at 200 requests/s in the benchmark).
      let body = serializedPages.get(page);
      if (body === undefined) {
        body = Buffer.from(JSON.stringify(page));
        serializedPages.set(page, body);
      }
      return reply.type('application/json; charset=utf-8').send(body as unknown as ExecutionPage);
    },
  );

  app.get(
    '/api/executions/:id',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags,
        summary: 'One execution with its steps, artifacts and annotations (as `stepflow show --json`)',
        params: ExecutionParamsSchema,
        response: { 200: ExecutionDetailSchema, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => {
      return toExecutionDetailJson(await executions.get(request.params.id));
    },
  );

  app.get(
    '/api/executions/:id/summary',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags,
        summary: "The run's summary Markdown ($STEPFLOW_STEP_SUMMARY) and each step's share",
        description:
          'Not part of the execution (which only says `hasSummary`, as do its steps), so listings and ' +
          'live updates stay small. It changes when a step that wrote some ends and when the run ends. ' +
          'Render it without raw HTML: it is what the script wrote (masked).',
        params: ExecutionParamsSchema,
        response: { 200: ExecutionSummarySchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => executions.summary(request.params.id),
  );

  app.get(
    '/api/executions/:id/resources',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags,
        summary: 'CPU, memory and process-count samples of the process tree over time',
        params: ExecutionParamsSchema,
        response: { 200: ResourceSeriesSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => ({ samples: await executions.reads.listResourceSamples(request.params.id) }),
  );

  app.post(
    '/api/executions/:id/cancel',
    {
      config: { permission: 'runs:write', audit: { action: 'run.cancel', object: 'param:id' } },
      schema: {
        tags,
        summary:
          'Cancel a queued (200, now cancelled) or running (202, its process tree is being stopped) execution',
        description:
          'Works for executions of any StepFlow process on this data dir (a `stepflow run` in a terminal, ' +
          'another server): the request is recorded and the owning process stops it within about a ' +
          'second (a remote `run --server`: at its next report, within about 2 s). If that process has ' +
          'died, the execution is marked interrupted at once, as crash recovery does (200).',
        params: ExecutionParamsSchema,
        response: {
          200: {
            ...ExecutionSchema,
            description:
              'Ended now: it was queued here (cancelled), or the process running it had died (interrupted)',
          },
          202: {
            ...ExecutionSchema,
            description:
              'Stopping (SIGTERM, then SIGKILL after the grace): here, or, for another process’s, ' +
              'once the owning process sees the request (within about a second)',
          },
          ...errorResponses(400, 404, 409),
        },
      },
    },
    async (request, reply) => {
      const { state, execution } = await executions.cancel(request.params.id);
      // 200: it has ended (dropped from the queue, or its dead process recovered); 202: it is stopping.
      const ended = state === 'cancelled' || state === 'interrupted';
      return reply.status(ended ? 200 : 202).send(execution);
    },
  );

  app.post(
    '/api/executions/:id/rerun',
    {
      // `curl -X POST …/rerun` sends no body at all: the same as `{}`.
      config: { permission: 'runs:write', audit: { action: 'run.rerun', object: 'param:id' } },
      preValidation: [requireJson, noBodyAsEmpty],
      validatorCompiler: strictValidator,
      schema: {
        tags,
        summary: 'Start a new execution with the same command, working directory, env, tags and timeout',
        description:
          'The new execution links back (`rerunOf`). With `fromStep` (a step name of this execution) its ' +
          'script gets STEPFLOW_RESUME_FROM=<that name>, so it can skip the work before it. A remote ' +
          "run's command belongs to its host: 409.",
        params: ExecutionParamsSchema,
        body: RerunBodySchema,
        response: { 201: ExecutionSchema, ...errorResponses(400, 404, 409, 415) },
      },
    },
    async (request, reply) => {
      const { fromStep } = request.body;
      const { execution } = await executions.rerun(request.params.id, {
        ...(fromStep === undefined ? {} : { fromStep }),
        createdBy: createdByOf(principalOf(request)),
      });
      return reply.status(201).header('location', `/api/executions/${execution.id}`).send(execution);
    },
  );

  for (const [action, pinned] of [
    ['pin', true],
    ['unpin', false],
  ] as const) {
    app.post(
      `/api/executions/:id/${action}`,
      {
        config: { permission: 'runs:write', audit: { action: `run.${action}`, object: 'param:id' } },
        schema: {
          tags,
          summary: pinned
            ? 'Pin a run: retention never expires it (docs/RETENTION.md)'
            : 'Unpin a run: retention applies to it again',
          params: ExecutionParamsSchema,
          response: { 200: ExecutionSchema, ...errorResponses(400, 404) },
        },
      },
      async (request) => executions.pin(request.params.id, pinned),
    );
  }

  app.delete(
    '/api/executions/:id',
    {
      config: { permission: 'runs:write', audit: { action: 'run.delete', object: 'param:id' } },
      schema: {
        tags,
        summary: 'Delete an ended execution with its log, steps and artifact files',
        params: ExecutionParamsSchema,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 404, 409) },
      },
    },
    async (request, reply) => {
      await executions.delete(request.params.id);
      return reply.status(204).send(null);
    },
  );
}

async function noBodyAsEmpty(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

/** `status=failed,timed_out` and `status=failed&status=timed_out` alike. */
export function statusesFrom(raw: string[] | undefined): ExecutionStatus[] | undefined {
  if (raw === undefined) return undefined;
  const statuses = raw
    .flatMap((value) => value.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  for (const status of statuses) {
    if (!isExecutionStatus(status)) {
      throw validationError(
        `querystring.status: unknown status ${JSON.stringify(status)} (one of ${EXECUTION_STATUSES.join(', ')})`,
        { field: 'status' },
      );
    }
  }
  return statuses as ExecutionStatus[];
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Strict ISO 8601 (Date.parse alone takes "1" or "March 7"); a date alone means its midnight UTC. */
function isoParam(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = ISO_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw validationError(
      `querystring.${name} must be an ISO 8601 date-time such as 2024-05-01T12:00:00Z, got ${JSON.stringify(value)}`,
      { field: name },
    );
  }
  return new Date(ms).toISOString();
}
