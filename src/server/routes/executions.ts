import { rm } from 'node:fs/promises';
import { Type } from '@sinclair/typebox';
import { ARTIFACT_STORE_DIR, resolveStoredArtifact } from '../../artifacts/stored-artifact-path.js';
import { ERROR_CODES, StepflowError, isStepflowError, notFound, validationError } from '../../core/errors.js';
import type { Execution } from '../../core/model.js';
import { EXECUTION_STATUSES, isExecutionStatus, isTerminalExecutionStatus } from '../../core/statuses.js';
import type { ExecutionStatus } from '../../core/statuses.js';
import {
  CreateExecutionBodySchema,
  ExecutionDetailSchema,
  ExecutionPageSchema,
  ExecutionParamsSchema,
  ExecutionSchema,
  ListExecutionsQuerySchema,
  ResourceSeriesSchema,
} from '../../protocol/api-schemas.js';
import { REMOTE_TAG } from '../../protocol/remote-schemas.js';
import { toExecutionDetailJson } from '../../protocol/execution-json.js';
import type { ExecutionPage } from '../../store/store.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';
import { requireJson } from './require-json.js';
import { runSpecFromBody } from './run-spec-from-body.js';
import { strictValidator } from './strict-validator.js';

const tags = ['executions'];
const conflict = (message: string) => new StepflowError(ERROR_CODES.CONFLICT, message);

/** Start, list, show, cancel, re-run and delete executions. Logs and artifacts have their own modules. */
export async function executionsRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const { store, engine, writer, config } = context.stepflow;
  const serializedPages = new WeakMap<ExecutionPage, Buffer>();

  /** The stored state, after committing what the writer still holds (the store lags the bus ~100 ms). */
  const current = async (id: string): Promise<Execution> => {
    await writer.flush();
    const execution = await store.getExecution(id);
    if (execution === undefined) throw notFound('execution', id);
    return execution;
  };

  app.post(
    '/api/executions',
    {
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
      const { execution } = await engine.submit(await runSpecFromBody(request.body, process.cwd()));
      return reply.status(201).header('location', `/api/executions/${execution.id}`).send(execution);
    },
  );

  app.get(
    '/api/executions',
    {
      schema: {
        tags,
        summary: 'List executions, newest first or with order=asc oldest first (keyset pagination)',
        querystring: ListExecutionsQuerySchema,
        response: { 200: ExecutionPageSchema, ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const { status, tag, q, since, until, limit, cursor, order, jobId } = request.query;
      const page = await store.listExecutions({
        jobId,
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
      schema: {
        tags,
        summary: 'One execution with its steps, artifacts and annotations (as `stepflow show --json`)',
        params: ExecutionParamsSchema,
        response: { 200: ExecutionDetailSchema, ...errorResponses(400, 404, 409) },
      },
    },
    async (request) => {
      const detail = await store.getExecution(request.params.id);
      if (detail === undefined) throw notFound('execution', request.params.id);
      return toExecutionDetailJson(detail);
    },
  );

  app.get(
    '/api/executions/:id/resources',
    {
      schema: {
        tags,
        summary: 'CPU, memory and process-count samples of the process tree over time',
        params: ExecutionParamsSchema,
        response: { 200: ResourceSeriesSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => ({ samples: await store.listResourceSamples(request.params.id) }),
  );

  app.post(
    '/api/executions/:id/cancel',
    {
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
      const { id } = request.params;
      const active = engine.active().find((execution) => execution.id === id);
      if (active !== undefined) {
        engine.cancel(id);
        if (active.status === 'queued') return reply.status(200).send(await current(id));
        return reply.status(202).send(active);
      }
      const stored = await current(id);
      if (isTerminalExecutionStatus(stored.status)) {
        throw conflict(`execution ${id} has already ended (${stored.status}); there is nothing to cancel`);
      }
      // Another process runs it: it stops it when it sees the request (or it died: recovered now).
      const requested = await context.stepflow.requestCancel(id);
      return reply.status(requested.outcome === 'owner_dead' ? 200 : 202).send(requested.execution);
    },
  );

  app.post(
    '/api/executions/:id/rerun',
    {
      schema: {
        tags,
        summary: 'Start a new execution with the same command, working directory, env, tags and timeout',
        params: ExecutionParamsSchema,
        response: { 201: ExecutionSchema, ...errorResponses(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const spec = await store.getRunSpec(request.params.id);
      if (spec === undefined) throw notFound('execution', request.params.id);
      const remoteHost = spec.tags?.[REMOTE_TAG];
      if (remoteHost !== undefined) {
        // Its command belongs to another machine: running it here could do anything.
        throw conflict(`execution ${request.params.id} ran on ${remoteHost}; re-run it there`);
      }
      const { execution } = await engine.submit(spec);
      return reply.status(201).header('location', `/api/executions/${execution.id}`).send(execution);
    },
  );

  app.delete(
    '/api/executions/:id',
    {
      schema: {
        tags,
        summary: 'Delete an ended execution with its log, steps and artifact files',
        params: ExecutionParamsSchema,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (engine.active().some((execution) => execution.id === id)) {
        throw conflict(`execution ${id} is still queued or running; cancel it first`);
      }
      const stored = await current(id).catch((error: unknown) => {
        // A damaged row can still be deleted: its status column says whether it may be.
        if (isStepflowError(error) && error.code === ERROR_CODES.UNREADABLE) return unreadableStatus(error);
        throw error;
      });
      if (isExecutionStatus(stored.status) && !isTerminalExecutionStatus(stored.status)) {
        throw conflict(`execution ${id} is ${stored.status} in another StepFlow process${ownerText(stored)}`);
      }
      // Rows first: once they are gone nothing points at the files, and a leftover file is only litter.
      await store.deleteExecution(id);
      await rm(resolveStoredArtifact(config.dataDir, `${ARTIFACT_STORE_DIR}/${id}`), {
        recursive: true,
        force: true,
      });
      return reply.status(204).send(null);
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

/** `status=failed,timed_out` and `status=failed&status=timed_out` alike. */
function statusesFrom(raw: string[] | undefined): ExecutionStatus[] | undefined {
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
