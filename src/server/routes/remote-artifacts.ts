import { attemptOf } from './attempt-header.js';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { pipeline } from 'node:stream/promises';
import { storedArtifactPath } from '../../artifacts/stored-artifact-path.js';
import { ERROR_CODES, StepflowError, validationError } from '../../core/errors.js';
import type { Artifact } from '../../core/model.js';
import {
  RemoteArtifactParams,
  RemoteArtifactQuery,
  RemoteArtifactReply,
} from '../../protocol/remote-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import type { RemoteRuns } from '../../app/remote-runs.js';

/** Largest artifact a remote client may upload; clients learn it when they create the execution. */
export const MAX_REMOTE_ARTIFACT_BYTES = 10 * 1024 ** 3;

/**
 * `PUT /api/remote/executions/:id/artifacts/:artifactId`: the bytes of one stored artifact, streamed
 * to a temp file while counted and hashed, then moved to `storedArtifactPath` once size and sha256
 * match what the query declares. Only then is the artifact recorded, so a half upload is never
 * listed. A re-upload replaces the copy (retries are safe). Call inside the remote plugin: the
 * octet-stream parser it adds must not leak to other routes.
 */
export function registerRemoteArtifactRoute(
  scope: StepflowApp,
  context: ServerContext,
  ingest: RemoteRuns,
): void {
  // Hand the raw stream to the handler: an artifact may be far larger than the JSON body limit.
  scope.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

  scope.put(
    '/api/remote/executions/:id/artifacts/:artifactId',
    {
      config: { permission: 'worker:report' },
      schema: {
        tags: ['remote'],
        summary: 'Upload the bytes of a stored artifact of a remote execution (application/octet-stream)',
        params: RemoteArtifactParams,
        querystring: RemoteArtifactQuery,
        // Documents the raw body; a schema without keywords checks nothing (the body is a stream).
        body: {
          content: {
            'application/octet-stream': {
              schema: Type.Unsafe<Readable>({ description: 'The artifact bytes' }),
            },
          },
        },
        response: { 201: RemoteArtifactReply },
      },
    },
    async (request, reply) => {
      const { id, artifactId } = request.params;
      const declared = request.query;
      if (!(request.body instanceof Readable)) {
        throw new StepflowError(
          ERROR_CODES.UNSUPPORTED_MEDIA_TYPE,
          'send the artifact as application/octet-stream',
        );
      }
      // A long upload is contact: the run's lease does not expire while it lasts.
      const release = ingest.hold(id);
      reply.raw.once('close', release);
      // Checked before a byte is read, so a refused upload costs nothing.
      const attempt = attemptOf(request);
      await ingest.remoteExecution(id, attempt);
      if (declared.size > MAX_REMOTE_ARTIFACT_BYTES) {
        throw new StepflowError(
          ERROR_CODES.PAYLOAD_TOO_LARGE,
          `artifact of ${declared.size} bytes is over the limit of ${MAX_REMOTE_ARTIFACT_BYTES}`,
        );
      }

      const storedPath = storedArtifactPath(id, artifactId, path.posix.basename(declared.path));
      const destination = context.app.executions.storedArtifactFile(storedPath);
      const artifactDir = path.dirname(destination);
      const executionDir = path.dirname(artifactDir);
      const temp = path.join(executionDir, `.upload-${artifactId}-${randomUUID()}`);
      await mkdir(executionDir, { recursive: true });
      try {
        const { size, sha256 } = await receive(request.body, temp, declared.size);
        if (size !== declared.size)
          throw validationError(`received ${size} bytes, the query declares ${declared.size}`);
        if (sha256 !== declared.sha256) {
          throw validationError(
            `the received bytes have sha256 ${sha256}, the query declares ${declared.sha256}`,
          );
        }
        await rm(artifactDir, { recursive: true, force: true });
        await mkdir(artifactDir);
        await rename(temp, destination);
      } finally {
        await rm(temp, { force: true });
      }

      const artifact: Artifact = {
        id: artifactId,
        stepId: declared.stepId ?? null,
        path: declared.path,
        description: declared.description,
        status: 'stored',
        error: null,
        kind: 'file',
        size: declared.size,
        sha256: declared.sha256,
        mediaType: declared.mediaType,
        createdAt: declared.createdAt,
        storedPath,
      };
      await ingest.recordArtifact(id, artifact, attempt);
      return reply
        .status(201)
        .send({ id: artifactId, path: artifact.path, size: declared.size, sha256: declared.sha256 });
    },
  );
}

/** Streams the body to `file`, hashing as it goes; stops as soon as it exceeds `maxBytes`. */
async function receive(
  body: Readable,
  file: string,
  maxBytes: number,
): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) {
        callback(validationError(`the body is longer than the declared size of ${maxBytes} bytes`));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(body, meter, createWriteStream(file, { flags: 'wx' }));
  return { size, sha256: hash.digest('hex') };
}
