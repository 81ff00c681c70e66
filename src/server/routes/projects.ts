import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { createdByOf } from '../../core/audit.js';
import {
  CreateProjectBodySchema,
  ProjectListSchema,
  ProjectParamsSchema,
  ProjectSchema,
  ProjectVersionListSchema,
  ProjectVersionSchema,
  RollbackBodySchema,
} from '../../protocol/project-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { principalOf } from '../route-access.js';
import { errorResponses } from './error-responses.js';
import { requireJson } from './require-json.js';
import { strictValidator } from './strict-validator.js';
import { archiveKindOf, rawBodies } from './raw-body.js';

const tags = ['projects'];

/**
 * Projects (docs/WORKSPACE.md): list, create (empty), upload an archive as the next version, list
 * versions, roll back, delete. The files of a version: `project-files.ts`.
 */
export async function projectsRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const { projects } = context.app;

  app.get(
    '/api/projects',
    {
      config: { permission: 'projects:read' },
      schema: { tags, summary: 'Every project, by name', response: { 200: ProjectListSchema } },
    },
    async () => ({ projects: await projects.list() }),
  );

  app.post(
    '/api/projects',
    {
      config: { permission: 'projects:write', audit: { action: 'project.create', object: 'body:name' } },
      preValidation: requireJson,
      validatorCompiler: strictValidator,
      schema: {
        tags,
        summary: 'Create a project whose version 1 is empty (upload an archive to fill it)',
        body: CreateProjectBodySchema,
        response: { 201: ProjectSchema, ...errorResponses(400, 409, 415) },
      },
    },
    async (request, reply) => {
      const project = await projects.create(request.body.name, {
        createdBy: createdByOf(principalOf(request)),
      });
      return reply.status(201).header('location', `/api/projects/${project.name}`).send(project);
    },
  );

  app.get(
    '/api/projects/:name',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags,
        summary: 'One project',
        params: ProjectParamsSchema,
        response: { 200: ProjectSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => projects.get(request.params.name),
  );

  app.delete(
    '/api/projects/:name',
    {
      config: { permission: 'projects:write', audit: { action: 'project.delete', object: 'param:name' } },
      schema: {
        tags,
        summary: 'Delete a project, its versions and their files',
        params: ProjectParamsSchema,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      await projects.remove(request.params.name);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/projects/:name/versions',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags,
        summary: 'The kept versions, newest first',
        params: ProjectParamsSchema,
        response: { 200: ProjectVersionListSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => ({ versions: await projects.versions(request.params.name) }),
  );

  await app.register(async (plain) => {
    const scope = rawBodies(plain);
    scope.post(
      '/api/projects/:name/versions',
      {
        config: { permission: 'projects:write', audit: { action: 'project.upload', object: 'param:name' } },
        schema: {
          tags,
          summary: 'Upload a ZIP or tar.gz (the raw request body) as the next version, which becomes current',
          description:
            'Content-Type: application/zip, or application/gzip for a tar.gz. Every entry is checked ' +
            'before the version exists: a path leaving the project, a link, a device or FIFO, too many ' +
            'entries, too many bytes, a compression ratio or a size that lies is a 400 ' +
            '(`archive_rejected`, details: entry and rule) and nothing is kept.',
          params: ProjectParamsSchema,
          // Documents the raw body; a schema without keywords checks nothing (the body is a stream).
          body: {
            content: {
              'application/zip': { schema: Type.Unsafe<Readable>({ description: 'A ZIP archive' }) },
              'application/gzip': { schema: Type.Unsafe<Readable>({ description: 'A tar.gz archive' }) },
            },
          },
          response: { 201: ProjectVersionSchema, ...errorResponses(400, 404, 413, 415) },
        },
      },
      async (request, reply) => {
        const kind = archiveKindOf(request.headers['content-type']);
        const version = await projects.upload(
          request.params.name,
          { content: request.body as AsyncIterable<Buffer>, kind },
          { createdBy: createdByOf(principalOf(request)) },
        );
        return reply.status(201).send(version);
      },
    );
  });

  app.post(
    '/api/projects/:name/rollback',
    {
      config: { permission: 'projects:write', audit: { action: 'project.rollback', object: 'param:name' } },
      preValidation: requireJson,
      validatorCompiler: strictValidator,
      schema: {
        tags,
        summary: 'Make a kept version current again (runs use it; the next edit starts from it)',
        params: ProjectParamsSchema,
        body: RollbackBodySchema,
        response: { 200: ProjectSchema, ...errorResponses(400, 404, 415) },
      },
    },
    async (request) => projects.rollback(request.params.name, request.body.version),
  );
}
