import { Type } from '@sinclair/typebox';
import type { SavedPipelines } from '../../app/saved-pipelines.js';
import { ERROR_CODES, isStepflowError } from '../../core/errors.js';
import { PIPELINE_JSON_SCHEMA } from '../../core/pipelines/pipeline-json-schema.js';
import {
  PipelineNameParamsSchema,
  PipelineValidationSchema,
  PipelineYamlBodySchema,
  SavedPipelineListSchema,
  SavedPipelineSchema,
  type SavedPipelineBody,
} from '../../protocol/pipeline-file-schemas.js';
import type { SavedPipelineRecord } from '../../store/saved-pipeline-store.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';
import { requireJson } from './require-json.js';
import { strictValidator } from './strict-validator.js';

const tags = ['pipelines'];

/**
 * Pipeline files (docs/PIPELINES.md): the JSON Schema for editors, validation, and saved pipelines'
 * CRUD. A pipeline that fails its checks is a 400 whose `details.problems` name each problem's
 * YAML path, line and column. Saved pipelines are read like jobs (`jobs:read`) and changed like
 * them (`jobs:write`): they are saved definitions of runs, as jobs are.
 */
export async function savedPipelinesRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const pipelines = context.app.savedPipelines;

  app.get(
    '/api/pipelines/schema',
    {
      config: { permission: 'server:read' },
      schema: {
        tags,
        summary: "The pipeline file's JSON Schema (draft-07), for editors (application/schema+json)",
      },
    },
    async (_request, reply) =>
      reply.type('application/schema+json; charset=utf-8').send(JSON.stringify(PIPELINE_JSON_SCHEMA)),
  );

  app.post(
    '/api/pipelines/validate',
    {
      // Checking a file changes nothing: whoever may read pipelines may check one.
      config: { permission: 'jobs:read' },
      preValidation: requireJson,
      validatorCompiler: strictValidator,
      schema: {
        tags,
        summary: 'Check a pipeline file: its figures, or 400 naming each problem with line and column',
        body: PipelineYamlBodySchema,
        response: { 200: PipelineValidationSchema, ...errorResponses(400, 413, 415) },
      },
    },
    async (request) => {
      const { definition, nodes, levels } = pipelines.check(request.body.yaml);
      return { ok: true as const, name: definition.name, nodes, levels };
    },
  );

  app.get(
    '/api/pipelines',
    {
      config: { permission: 'jobs:read' },
      schema: {
        tags,
        summary: 'Saved pipelines, by name',
        response: { 200: SavedPipelineListSchema },
      },
    },
    async () => ({
      items: (await pipelines.list()).map((saved) => {
        const { yaml: _yaml, ...rest } = savedPipelineJson(pipelines, saved);
        return rest;
      }),
    }),
  );

  app.get(
    '/api/pipelines/:name',
    {
      config: { permission: 'jobs:read' },
      validatorCompiler: strictValidator,
      schema: {
        tags,
        summary: 'One saved pipeline with its YAML text',
        params: PipelineNameParamsSchema,
        response: { 200: SavedPipelineSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => savedPipelineJson(pipelines, await pipelines.get(request.params.name)),
  );

  app.post(
    '/api/pipelines',
    {
      config: { permission: 'jobs:write', audit: { action: 'pipeline.create', object: 'response:name' } },
      preValidation: requireJson,
      validatorCompiler: strictValidator,
      schema: {
        tags,
        summary: 'Save a new pipeline under the name its YAML gives (409 when taken)',
        body: PipelineYamlBodySchema,
        response: { 201: SavedPipelineSchema, ...errorResponses(400, 403, 409, 413, 415) },
      },
    },
    async (request, reply) => {
      const saved = await pipelines.create(request.body.yaml);
      return reply
        .status(201)
        .header('location', `/api/pipelines/${saved.name}`)
        .send(savedPipelineJson(pipelines, saved));
    },
  );

  app.put(
    '/api/pipelines/:name',
    {
      config: { permission: 'jobs:write', audit: { action: 'pipeline.update', object: 'param:name' } },
      preValidation: requireJson,
      validatorCompiler: strictValidator,
      schema: {
        tags,
        summary: "Save a pipeline, creating (201) or replacing (200) it; the YAML's name must be :name",
        params: PipelineNameParamsSchema,
        body: PipelineYamlBodySchema,
        response: {
          200: SavedPipelineSchema,
          201: SavedPipelineSchema,
          ...errorResponses(400, 403, 413, 415),
        },
      },
    },
    async (request, reply) => {
      const { pipeline, created } = await pipelines.put(request.params.name, request.body.yaml);
      return reply.status(created ? 201 : 200).send(savedPipelineJson(pipelines, pipeline));
    },
  );

  app.delete(
    '/api/pipelines/:name',
    {
      config: { permission: 'jobs:write', audit: { action: 'pipeline.delete', object: 'param:name' } },
      validatorCompiler: strictValidator,
      schema: {
        tags,
        summary: 'Delete a saved pipeline',
        params: PipelineNameParamsSchema,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 403, 404) },
      },
    },
    async (request, reply) => {
      await pipelines.delete(request.params.name);
      return reply.status(204).send(null);
    },
  );
}

/**
 * A saved pipeline as answered, with its figures. Its text passed the checks when saved; one that
 * a later version's checks refuse still shows (figures null in a list, its text to fix here).
 */
function savedPipelineJson(pipelines: SavedPipelines, saved: SavedPipelineRecord): SavedPipelineBody {
  return { ...saved, ...figuresOf(pipelines, saved.yaml) };
}

function figuresOf(pipelines: SavedPipelines, yaml: string): { nodes: number | null; levels: number | null } {
  try {
    const { nodes, levels } = pipelines.check(yaml);
    return { nodes, levels };
  } catch (error) {
    // Shown rather than thrown: a listing must not fail for one stored text; other errors go on.
    if (isStepflowError(error) && error.code === ERROR_CODES.VALIDATION) return { nodes: null, levels: null };
    throw error;
  }
}
