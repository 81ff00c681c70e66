import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';

/**
 * The stream to send, or for HEAD an empty one: Fastify's automatic HEAD route reads a stream to
 * the end to throw it away (a whole log, a followed log that never ends, a zip being built), but
 * leaves the headers alone, Content-Length included.
 */
export async function streamBody(
  request: FastifyRequest,
  open: () => Readable | Promise<Readable>,
): Promise<Readable> {
  return request.method === 'HEAD' ? Readable.from([]) : open();
}
