import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Type } from '@sinclair/typebox';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isErrnoException } from '../../artifacts/describe-fs-error.js';
import { ERROR_CODES, StepflowError, notFound } from '../../core/errors.js';
import type { Artifact } from '../../core/model.js';
import { ArtifactParamsSchema } from '../../protocol/api-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { parseByteRange } from './byte-range.js';
import { attachmentDisposition } from './content-disposition.js';
import { errorBody } from '../http-errors.js';
import { errorResponses } from './error-responses.js';
import { streamBody } from './stream-body.js';
import { zipDirectoryStream } from './zip-directory-stream.js';

// Typed as the stream the handler sends; documented as the bytes the client gets.
const BINARY = { schema: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }) };

/**
 * `GET /api/executions/:id/artifacts/:artifactId`: the stored copy, found by ids only (no client
 * text reaches the file system). Files support `Range` and conditional requests on their sha256;
 * a directory comes as a zip streamed while it is built.
 */
export async function artifactDownloadRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const { executions } = context.app;

  app.get(
    '/api/executions/:id/artifacts/:artifactId',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags: ['artifacts'],
        summary: 'Download an artifact (a directory as <name>.zip); single byte ranges for files',
        params: ArtifactParamsSchema,
        response: {
          200: {
            description: 'The whole file, or a directory as zip',
            content: { 'application/octet-stream': BINARY },
          },
          206: { description: 'The requested byte range', content: { 'application/octet-stream': BINARY } },
          304: Type.Null({ description: 'Not modified (If-None-Match matched the sha256 ETag)' }),
          ...errorResponses(400, 404, 410, 416),
        },
      },
    },
    async (request, reply) => {
      const { id, artifactId } = request.params;
      const detail = await executions.get(id);
      const artifact = detail.artifacts.find((a) => a.id === artifactId);
      if (artifact === undefined) throw notFound(`artifact ${artifactId} of execution`, id);
      if (artifact.status === 'expired') {
        throw new StepflowError(
          ERROR_CODES.EXPIRED,
          `artifact ${artifactId} (${artifact.path}) of execution ${id} was deleted by retention; its record is kept`,
          { details: { path: artifact.path, size: artifact.size, sha256: artifact.sha256 } },
        );
      }
      if (artifact.status !== 'stored' || artifact.storedPath === null) {
        throw new StepflowError(
          ERROR_CODES.ARTIFACT_REJECTED,
          `artifact ${artifactId} (${artifact.path}) was not stored: ${artifact.error ?? 'no copy was kept'}`,
        );
      }
      const location = executions.storedArtifactFile(artifact.storedPath);
      const name = path.posix.basename(artifact.storedPath);
      reply
        .header('x-content-type-options', 'nosniff')
        // Script output served from the API's origin must never run as a page there.
        .header('content-security-policy', "default-src 'none'; sandbox");

      if (artifact.kind === 'directory') {
        const etag = `W/"${artifact.sha256 ?? ''}"`;
        if (notModified(request.headers['if-none-match'], etag))
          return reply.status(304).header('etag', etag).send(null);
        const root = await existing(location, artifact);
        const zip = await streamBody(request, () => zipDirectoryStream(root));
        return reply
          .type('application/zip')
          .header('content-disposition', attachmentDisposition(`${name}.zip`))
          .header('etag', etag)
          .header('accept-ranges', 'none')
          .send(zip);
      }
      return sendFile(request, reply, artifact, location, name);
    },
  );
}

async function sendFile(
  request: FastifyRequest,
  reply: FastifyReply,
  artifact: Artifact,
  location: string,
  name: string,
): Promise<FastifyReply> {
  const { headers } = request;
  const { size } = await stat(await existing(location, artifact));
  const etag = `"${artifact.sha256 ?? ''}"`;
  // If-Range: a range of a different version would corrupt a resumed download; send it all.
  const ifRange = one(headers['if-range']);
  const range =
    ifRange === undefined || ifRange === etag ? parseByteRange(one(headers.range), size) : undefined;
  if (range === 'unsatisfiable') {
    const message = `range ${JSON.stringify(one(headers.range))} is outside the artifact's ${size} bytes`;
    return reply
      .status(416)
      .header('content-range', `bytes */${size}`)
      .send(errorBody(ERROR_CODES.RANGE_NOT_SATISFIABLE, message));
  }
  reply.header('accept-ranges', 'bytes').header('etag', etag);
  if (notModified(headers['if-none-match'], etag)) return reply.status(304).send(null);
  reply
    .type(artifact.mediaType ?? 'application/octet-stream')
    .header('content-disposition', attachmentDisposition(name));
  if (range === undefined) {
    return reply
      .header('content-length', String(size))
      .send(await streamBody(request, () => createReadStream(location)));
  }
  return reply
    .status(206)
    .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
    .header('content-length', String(range.end - range.start + 1))
    .send(
      await streamBody(request, () => createReadStream(location, { start: range.start, end: range.end })),
    );
}

/** The copy exists unless someone removed it by hand: a 404 that says so, not a 500. */
async function existing(location: string, artifact: Artifact): Promise<string> {
  try {
    await stat(location);
    return location;
  } catch (error) {
    if (!isErrnoException(error) || error.code !== 'ENOENT') throw error;
    throw new StepflowError(ERROR_CODES.NOT_FOUND, `the stored copy of artifact ${artifact.id} is missing`, {
      cause: error,
    });
  }
}

function notModified(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  const value = one(ifNoneMatch);
  if (value === undefined) return false;
  const weak = (tag: string) => tag.trim().replace(/^W\//, '');
  return value.trim() === '*' || value.split(',').some((tag) => weak(tag) === weak(etag));
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
