import type { FastifyRequest } from 'fastify';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';

/**
 * A route hook for JSON-only bodies. Fastify also parses text/plain, so without this a shell line
 * posted as text would be a confusing "body must be object" 400 instead of a 415.
 */
export async function requireJson(request: FastifyRequest): Promise<void> {
  const type = request.headers['content-type'];
  if (type === undefined) return; // no body at all: the schema says what is missing
  const mediaType = type.split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) return;
  throw new StepflowError(
    ERROR_CODES.UNSUPPORTED_MEDIA_TYPE,
    `content type ${JSON.stringify(mediaType)} is not supported; send application/json`,
  );
}
