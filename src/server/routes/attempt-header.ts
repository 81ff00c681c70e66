import type { FastifyRequest } from 'fastify';
import { validationError } from '../../core/errors.js';

/** The header a worker's reports carry: the attempt of its claim (docs/WORKERS.md, fencing). */
const ATTEMPT_HEADER = 'stepflow-attempt';

/** The attempt a report carries; undefined for a `stepflow run --server` client, which has none. */
export function attemptOf(request: FastifyRequest): number | undefined {
  const raw = request.headers[ATTEMPT_HEADER];
  if (raw === undefined) return undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || !/^[1-9]\d{0,8}$/.test(value)) {
    throw validationError(
      `the ${ATTEMPT_HEADER} header must be a whole number from 1, got ${JSON.stringify(raw)}`,
    );
  }
  return Number(value);
}
