import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest, preValidationHookHandler } from 'fastify';
import { validationError } from '../core/errors.js';

/** No query parameters at all: what a documented route that declares none checks against. */
const NoQuery = Type.Object({}, { additionalProperties: false });

/**
 * Input rules that hold for every documented route, whatever its schema says, so a new route gets
 * them without thinking of it: unknown query parameters are a 400 (also on routes that take none),
 * a route that takes no body refuses one with fields in it, and no number in a query string or a
 * path is infinite (the schema validator turns `1e309` into Infinity and then skips `maximum`).
 * Call before registering routes.
 */
export function installInputChecks(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema;
    // Hidden routes (the dashboard's files, the API docs) are not API: they take what browsers send.
    if (schema === undefined || schema.hide === true) return;
    if (schema.querystring === undefined) route.schema = { ...schema, querystring: NoQuery };
    if (schema.body === undefined) route.preValidation = [...hooksOf(route.preValidation), refuseBody];
  });
  app.addHook('preHandler', async (request) => {
    finiteNumbersOnly('querystring', request.query);
    finiteNumbersOnly('params', request.params);
  });
}

function hooksOf(hooks: preValidationHookHandler | preValidationHookHandler[] | undefined) {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}

/** `curl -X POST …/cancel` sends nothing and a client may send `{}`; anything more is a mistake. */
async function refuseBody(request: FastifyRequest): Promise<void> {
  const { body } = request;
  if (body === undefined || body instanceof Readable) return;
  if (isRecord(body)) {
    const [unknown] = Object.keys(body);
    if (unknown === undefined) return;
    throw validationError(`body: unknown field ${JSON.stringify(unknown)} (this route takes no body)`, {
      field: unknown,
    });
  }
  throw validationError('body: this route takes no body');
}

function finiteNumbersOnly(part: string, values: unknown): void {
  if (!isRecord(values)) return;
  for (const [name, value] of Object.entries(values)) {
    const items: unknown[] = Array.isArray(value) ? value : [value];
    if (items.some((item) => typeof item === 'number' && !Number.isFinite(item))) {
      throw validationError(`${part}.${name} must be a finite number`, { field: name });
    }
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
