import { createReadStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { createdByOf } from '../../core/audit.js';
import { ERROR_CODES, StepflowError, isStepflowError } from '../../core/errors.js';
import {
  FileWrittenSchema,
  MoveFileBodySchema,
  FileQuerySchema,
  FileVersionQuerySchema,
  ProjectParamsSchema,
  ProjectTreeSchema,
  ProjectVersionByIdParamsSchema,
  ProjectVersionSchema,
  VersionQuerySchema,
} from '../../protocol/project-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { principalOf } from '../route-access.js';
import { attachmentDisposition } from './content-disposition.js';
import { errorResponses } from './error-responses.js';
import { rawBodies } from './raw-body.js';
import { requireJson } from './require-json.js';
import { streamBody } from './stream-body.js';
import { strictValidator } from './strict-validator.js';
import { zipDirectoryStream } from './zip-directory-stream.js';

const tags = ['projects'];
const BINARY = { schema: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }) };

/**
 * A project's files (docs/WORKSPACE.md): the tree, one file, the whole version as a ZIP; writing,
 * deleting and moving a file each make the next version (versions stay immutable). A file's ETag
 * is its sha256: overwriting or deleting with `If-Match` fails with 412 when it changed.
 */
export async function projectFilesRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const { projects } = context.app;
  const fileBytesLimit = context.options.bodyLimit;

  app.get(
    '/api/projects/:name/tree',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags,
        summary: 'Every file and folder of a version (the current one by default)',
        params: ProjectParamsSchema,
        querystring: VersionQuerySchema,
        response: { 200: ProjectTreeSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => projects.tree(request.params.name, request.query.version),
  );

  app.get(
    '/api/projects/:name/file',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags,
        summary: 'One file of a version (the current one by default); its ETag is its sha256',
        params: ProjectParamsSchema,
        querystring: FileVersionQuerySchema,
        response: {
          200: { description: 'The file', content: { 'application/octet-stream': BINARY } },
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const file = await projects.readFile(request.params.name, request.query.path, request.query.version);
      return reply
        .type('application/octet-stream')
        .header('etag', file.etag)
        .header('x-stepflow-project-version', String(file.version))
        .header('content-length', String(file.size))
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('content-disposition', attachmentDisposition(path.posix.basename(request.query.path)))
        .send(await streamBody(request, () => createReadStream(file.file)));
    },
  );

  app.get(
    '/api/projects/:name/archive',
    {
      config: { permission: 'projects:read' },
      schema: {
        tags,
        summary: 'A version (the current one by default) as a ZIP, built while it streams',
        params: ProjectParamsSchema,
        querystring: VersionQuerySchema,
        response: {
          200: { description: 'The files as ZIP', content: { 'application/zip': BINARY } },
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const { project, version, dir } = await projects.folder(request.params.name, request.query.version);
      return reply
        .type('application/zip')
        .header('x-stepflow-project-version', String(version))
        .header('content-disposition', attachmentDisposition(`${project.name}-v${version}.zip`))
        .send(await streamBody(request, () => zipDirectoryStream(dir)));
    },
  );

  app.get(
    // `:name` holds the id here: the router takes one parameter name per position.
    '/api/projects/:name/versions/:version/archive',
    {
      config: { permission: 'projects:fetch' },
      schema: {
        tags,
        summary: "A kept version as a ZIP, by the project's id: what a worker fetches to run in it",
        description:
          'Allowed to readers and to the worker token (docs/WORKSPACE.md, scaled mode). Versions are ' +
          'immutable and ids never reused, so an id and a number name the same bytes forever.',
        params: ProjectVersionByIdParamsSchema,
        response: {
          200: { description: 'The files as ZIP', content: { 'application/zip': BINARY } },
          ...errorResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      const { project, version, dir } = await projects.versionById(
        request.params.name,
        request.params.version,
      );
      return reply
        .type('application/zip')
        .header('x-stepflow-project-version', String(version))
        .header('content-disposition', attachmentDisposition(`${project.name}-v${version}.zip`))
        .send(await streamBody(request, () => zipDirectoryStream(dir)));
    },
  );

  app.post(
    '/api/projects/:name/move',
    {
      config: { permission: 'projects:write', audit: { action: 'project.edit', object: 'param:name' } },
      preValidation: requireJson,
      validatorCompiler: strictValidator,
      schema: {
        tags,
        summary: 'Rename or move a file or folder: makes the next version',
        params: ProjectParamsSchema,
        body: MoveFileBodySchema,
        response: { 200: ProjectVersionSchema, ...errorResponses(400, 404, 409, 415) },
      },
    },
    async (request) =>
      projects.moveFile(request.params.name, request.body.from, request.body.to, {
        createdBy: createdByOf(principalOf(request)),
      }),
  );

  app.delete(
    '/api/projects/:name/file',
    {
      config: { permission: 'projects:write', audit: { action: 'project.edit', object: 'param:name' } },
      schema: {
        tags,
        summary: 'Delete a file (If-Match optional): makes the next version',
        params: ProjectParamsSchema,
        querystring: FileQuerySchema,
        response: { 200: ProjectVersionSchema, ...errorResponses(400, 404, 409, 412) },
      },
    },
    async (request, reply) =>
      withEtagOnConflict(reply, () =>
        projects.deleteFile(request.params.name, request.query.path, {
          createdBy: createdByOf(principalOf(request)),
          ...ifMatch(request.headers['if-match']),
        }),
      ),
  );

  await app.register(async (plain) => {
    const scope = rawBodies(plain);
    scope.put(
      '/api/projects/:name/file',
      {
        config: { permission: 'projects:write', audit: { action: 'project.edit', object: 'param:name' } },
        schema: {
          tags,
          summary: 'Write a file (the raw body): makes the next version from the current one',
          description:
            'A new file needs no header. To overwrite one, send `If-Match` with the ETag it was read ' +
            'with: 412 (details.etag, and the ETag header: its current etag) when it changed or when ' +
            'If-Match is missing.',
          params: ProjectParamsSchema,
          querystring: FileQuerySchema,
          // Documents the raw body; a schema without keywords checks nothing (the body is a stream).
          body: {
            content: {
              'application/octet-stream': {
                schema: Type.Unsafe<Readable>({ description: 'The file bytes' }),
              },
            },
          },
          response: { 200: FileWrittenSchema, ...errorResponses(400, 404, 409, 412, 413) },
        },
      },
      async (request, reply) => {
        const content = await readAll(request.body as AsyncIterable<Buffer>, fileBytesLimit);
        const result = await withEtagOnConflict(reply, () =>
          projects.writeFile(request.params.name, request.query.path, content, {
            createdBy: createdByOf(principalOf(request)),
            ...ifMatch(request.headers['if-match']),
          }),
        );
        return reply.header('etag', result.etag).send(result);
      },
    );
  });
}

function ifMatch(header: string | undefined): { ifMatch?: string } {
  return header === undefined ? {} : { ifMatch: header.trim() };
}

/** A 412 also carries the file's current etag in the ETag header, as HTTP caches expect. */
async function withEtagOnConflict<T>(reply: FastifyReply, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isStepflowError(error) && error.code === ERROR_CODES.PRECONDITION_FAILED) {
      const etag = (error.details as { etag?: string | null } | undefined)?.etag;
      if (typeof etag === 'string') reply.header('etag', etag);
    }
    throw error;
  }
}

async function readAll(body: AsyncIterable<Buffer> | undefined, limit: number): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    if (bytes > limit)
      throw new StepflowError(ERROR_CODES.PAYLOAD_TOO_LARGE, `a file may have at most ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
