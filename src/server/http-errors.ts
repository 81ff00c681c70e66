import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
import { ERROR_CODES, isStepflowError, type ErrorCode } from '../core/errors.js';

/** The one place error codes become HTTP statuses. */
const STATUS_BY_CODE: Record<ErrorCode, number> = {
  validation_failed: 400,
  usage: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  artifact_rejected: 404,
  spawn_failed: 422,
  store_unavailable: 503,
  store_full: 507,
  store_corrupt: 503,
  // The record is there but cannot be read: the client can resolve it by deleting it.
  unreadable: 409,
  server_unreachable: 502,
  internal: 500,
  stale_attempt: 409,
  backup_invalid: 422,
  unsupported: 400,
  // It existed and was removed on purpose (retention): not coming back, unlike a 404.
  expired: 410,
  rate_limited: 429,
  // The server lacks the key its stored secrets need (docs/SECRETS.md): its operator must set it.
  secret_key: 409,
  archive_rejected: 400,
  precondition_failed: 412,
};

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Fastify's own error codes for bad requests, mapped to ours. */
const FASTIFY_CODES: Record<string, [number, ErrorCode]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, ERROR_CODES.PAYLOAD_TOO_LARGE],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, ERROR_CODES.UNSUPPORTED_MEDIA_TYPE],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, ERROR_CODES.VALIDATION],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, ERROR_CODES.VALIDATION],
  FST_ERR_CTP_EMPTY_TYPE: [415, ERROR_CODES.UNSUPPORTED_MEDIA_TYPE],
  FST_ERR_CTP_INVALID_TYPE: [415, ERROR_CODES.UNSUPPORTED_MEDIA_TYPE],
};

/**
 * Errors the router raises before any route or hook runs (`frameworkErrors`): a path that is not
 * valid percent-encoding, a path parameter over the router's length limit. Same JSON shape.
 */
export function frameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status =
    error.code === 'FST_ERR_BAD_URL' ? 400 : error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 500;
  const code = status === 500 ? ERROR_CODES.INTERNAL : ERROR_CODES.VALIDATION;
  void reply.status(status).send(errorBody(code, error.message));
}

/**
 * Every error leaves as `{"error":{"code","message","details?"}}`. Schema failures name the field;
 * anything unexpected is a 500 that is logged with its stack and told to the client without it.
 */
export function installErrorHandling(
  app: FastifyInstance,
  {
    notFoundGuard,
  }: {
    /**
     * Runs before the 404 answer, also when a public route hands over with `callNotFound()` (the
     * dashboard's fallback does for API-looking paths): an unknown path is as protected as a known one.
     */
    notFoundGuard?: preHandlerAsyncHookHandler;
  } = {},
): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isStepflowError(error)) {
      const status = STATUS_BY_CODE[error.code];
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      return reply.status(status).send(errorBody(error.code, error.message, error.details));
    }
    if (error.validation) {
      const first = error.validation[0];
      const where = error.validationContext ?? 'request';
      const field = first?.instancePath ? `${where}${first.instancePath.replaceAll('/', '.')}` : where;
      const message =
        first?.keyword === 'additionalProperties'
          ? `${field}: unknown field ${JSON.stringify((first.params as { additionalProperty?: string }).additionalProperty)}`
          : `${field} ${first?.message ?? 'is invalid'}`;
      return reply.status(400).send(errorBody(ERROR_CODES.VALIDATION, message, error.validation));
    }
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped) return reply.status(mapped[0]).send(errorBody(mapped[1], error.message));
    if (error instanceof SyntaxError || (error.statusCode === 400 && error.code?.startsWith('FST_'))) {
      return reply
        .status(400)
        .send(errorBody(ERROR_CODES.VALIDATION, `invalid request body: ${error.message}`));
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send(errorBody(ERROR_CODES.VALIDATION, error.message));
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.status(500).send(errorBody(ERROR_CODES.INTERNAL, 'internal error; see the server log'));
  });
  app.setNotFoundHandler(notFoundGuard ? { preHandler: notFoundGuard } : {}, (request, reply) =>
    reply
      .status(404)
      .send(
        errorBody(ERROR_CODES.NOT_FOUND, `no route ${request.method} ${request.url.split('?')[0] ?? ''}`),
      ),
  );
}
