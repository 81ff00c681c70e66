import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { StepflowApp } from '../build-server.js';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import type { ArchiveKind } from '../../app/projects/projects.js';

/**
 * Makes every route of `scope` (an encapsulated plugin) get its body as the raw request stream,
 * whatever its Content-Type: uploads and file contents are bytes, never parsed, and never held in
 * memory whole by the framework (the use case counts them against its own limit).
 */
export function rawBodies(scope: FastifyInstance): StepflowApp {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  return scope.withTypeProvider<TypeBoxTypeProvider>();
}

const ARCHIVE_TYPES: Record<string, ArchiveKind> = {
  'application/zip': 'zip',
  'application/x-zip-compressed': 'zip',
  'application/gzip': 'tar.gz',
  'application/x-gzip': 'tar.gz',
  'application/x-compressed-tar': 'tar.gz',
};

/** The archive kind an upload's Content-Type names; any other is a 415. */
export function archiveKindOf(contentType: string | undefined): ArchiveKind {
  const mediaType = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  const kind = ARCHIVE_TYPES[mediaType];
  if (kind === undefined)
    throw new StepflowError(
      ERROR_CODES.UNSUPPORTED_MEDIA_TYPE,
      `content type ${JSON.stringify(mediaType)} is not an archive; send application/zip or application/gzip (a tar.gz)`,
    );
  return kind;
}
