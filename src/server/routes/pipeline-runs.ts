import type { FastifyRequest } from 'fastify';
import { createdByOf } from '../../core/audit.js';
import { validationError } from '../../core/errors.js';
import { parsePipelineYaml } from '../../core/pipelines/parse-pipeline-yaml.js';
import type { PipelineDefinition } from '../../core/pipelines/pipeline-definition.js';
import { PIPELINE_RUN_STATUSES, type PipelineRunStatus } from '../../core/pipelines/pipeline-run.js';
import { toPipelineRunJson } from '../../protocol/pipeline-json.js';
import {
  CreatePipelineRunBodySchema,
  ListPipelineRunsQuerySchema,
  PipelineRunPageSchema,
  PipelineRunParamsSchema,
  PipelineRunSchema,
  RerunPipelineBodySchema,
} from '../../protocol/pipeline-schemas.js';
import { principalOf } from '../route-access.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';
import { requireJson } from './require-json.js';
import { strictValidator } from './strict-validator.js';

const tags = ['pipelines'];

/** Pipeline runs (docs/PIPELINES-RUNNING.md): start one from a pipeline file, list, show, cancel, re-run. */
export async function pipelineRunsRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const { pipelines } = context.app;
  const json = (run: Parameters<typeof toPipelineRunJson>[0]) => toPipelineRunJson(run, Date.now());

  app.post(
    '/api/pipelines/runs',
    {
      config: { permission: 'runs:write', audit: { action: 'pipeline.start', object: 'response:id' } },
      preValidation: requireJson,
      validatorCompiler: strictValidator,
      schema: {
        tags,
        summary:
          'Start a run of a pipeline file or of a saved pipeline: its first nodes start at once, each an ordinary execution',
        body: CreatePipelineRunBodySchema,
        response: { 201: PipelineRunSchema, ...errorResponses(400, 404, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const definition = await definitionOf(request.body, context);
      const run = await pipelines.start(definition, {
        cwd: process.cwd(),
        createdBy: createdByOf(principalOf(request)),
      });
      return reply.status(201).header('location', `/api/pipelines/runs/${run.id}`).send(json(run));
    },
  );

  app.get(
    '/api/pipelines/runs',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags,
        summary: 'List pipeline runs, newest first (keyset pagination), by pipeline name, job and status',
        querystring: ListPipelineRunsQuerySchema,
        response: { 200: PipelineRunPageSchema, ...errorResponses(400) },
      },
    },
    async (request) => {
      const { name, job, status, limit, cursor } = request.query;
      const page = await pipelines.list({
        ...(name === undefined ? {} : { name }),
        ...(job === undefined ? {} : { jobId: job }),
        ...(status === undefined ? {} : { status: runStatusesFrom(status) }),
        limit: limit ?? 50,
        ...(cursor === undefined ? {} : { cursor }),
      });
      return { items: page.items.map(json), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/pipelines/runs/:id',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags,
        summary:
          "A pipeline run with its nodes: each node's status, outputs and attempts (execution ids, statuses, durations)",
        params: PipelineRunParamsSchema,
        response: { 200: PipelineRunSchema, ...errorResponses(404) },
      },
    },
    async (request) => json(await pipelines.get(request.params.id)),
  );

  app.post(
    '/api/pipelines/runs/:id/cancel',
    {
      config: { permission: 'runs:write', audit: { action: 'pipeline.cancel', object: 'param:id' } },
      schema: {
        tags,
        summary:
          "Cancel a pipeline run: every running node's process tree is stopped, nodes not started end cancelled (202)",
        params: PipelineRunParamsSchema,
        response: { 202: PipelineRunSchema, ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => reply.status(202).send(json(await pipelines.cancel(request.params.id))),
  );

  app.post(
    '/api/pipelines/runs/:id/rerun',
    {
      config: { permission: 'runs:write', audit: { action: 'pipeline.rerun', object: 'param:id' } },
      preValidation: [requireJson, noBodyAsEmpty],
      validatorCompiler: strictValidator,
      schema: {
        tags,
        summary: 'Run an ended pipeline run again: all of it, or only the failed nodes and what follows them',
        params: PipelineRunParamsSchema,
        body: RerunPipelineBodySchema,
        response: { 201: PipelineRunSchema, ...errorResponses(400, 404, 409, 415) },
      },
    },
    async (request, reply) => {
      const run = await pipelines.rerun(request.params.id, {
        only: request.body.only ?? 'all',
        createdBy: createdByOf(principalOf(request)),
      });
      return reply.status(201).header('location', `/api/pipelines/runs/${run.id}`).send(json(run));
    },
  );
}

/** `curl -X POST …/rerun` sends no body at all: the same as `{}`. */
async function noBodyAsEmpty(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

/** `status=failed,cancelled` and `status=failed&status=cancelled` alike. */
function runStatusesFrom(raw: string[]): PipelineRunStatus[] {
  const statuses = raw
    .flatMap((value) => value.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  for (const status of statuses) {
    if (!(PIPELINE_RUN_STATUSES as readonly string[]).includes(status)) {
      throw validationError(
        `querystring.status: unknown status ${JSON.stringify(status)} (one of ${PIPELINE_RUN_STATUSES.join(', ')})`,
        { field: 'status' },
      );
    }
  }
  return statuses as PipelineRunStatus[];
}

/** The definition a run starts from: the file in the body, or a saved pipeline's (exactly one). */
async function definitionOf(
  { yaml, pipeline }: { yaml?: string; pipeline?: string },
  context: ServerContext,
): Promise<PipelineDefinition> {
  if (yaml !== undefined && pipeline === undefined) return parsePipelineYaml(yaml);
  if (pipeline !== undefined && yaml === undefined) return context.app.savedPipelines.definition(pipeline);
  throw validationError(
    'body must have exactly one of "yaml" (a pipeline file) and "pipeline" (a saved pipeline\'s name)',
    { field: 'yaml' },
  );
}
