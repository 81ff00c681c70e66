import {
  CreateEnvironmentBodySchema,
  EnvironmentBuildSchema,
  EnvironmentListSchema,
  EnvironmentParamsSchema,
  EnvironmentSchema,
  SettingsSchema,
  UpdateEnvironmentBodySchema,
  UpdateSettingsBodySchema,
} from '../../protocol/environment-schemas.js';
import { createdByOf } from '../../core/audit.js';
import { principalOf } from '../route-access.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';
import { requireJson } from './require-json.js';
import { strictValidator } from './strict-validator.js';

/**
 * `/api/settings` and `/api/environments` (docs/WORKSPACE-ENVIRONMENTS.md): every signed-in user
 * reads; admins change settings, operators environments. Each route calls one use case.
 */
export async function environmentsRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const { environments } = context.app;

  app.get(
    '/api/settings',
    {
      config: { permission: 'server:read' },
      schema: {
        tags: ['settings'],
        summary: 'The package index and the global environment variables every run gets',
        response: { 200: SettingsSchema },
      },
    },
    async () => environments.settings(),
  );

  app.put(
    '/api/settings',
    {
      config: { permission: 'settings:admin', audit: { action: 'settings.update' } },
      preValidation: requireJson,
      validatorCompiler: strictValidator,
      schema: {
        tags: ['settings'],
        summary: 'Replace the settings given (env as a whole map); the others stay',
        body: UpdateSettingsBodySchema,
        response: { 200: SettingsSchema, ...errorResponses(400, 403, 415) },
      },
    },
    async (request) => environments.updateSettings(request.body),
  );

  const tags = ['environments'];
  app.get(
    '/api/environments',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags,
        summary: 'Every Python environment, by name',
        response: { 200: EnvironmentListSchema },
      },
    },
    async () => ({ environments: await environments.list() }),
  );

  app.get(
    '/api/environments/:name',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags,
        summary: 'One Python environment',
        params: EnvironmentParamsSchema,
        response: { 200: EnvironmentSchema, ...errorResponses(404) },
      },
    },
    async (request) => environments.get(request.params.name),
  );

  app.post(
    '/api/environments',
    {
      config: { permission: 'runs:write', audit: { action: 'environment.create', object: 'body:name' } },
      preValidation: requireJson,
      validatorCompiler: strictValidator,
      schema: {
        tags,
        summary: 'Add a Python environment (interpreter python3 when absent, requirements lines)',
        body: CreateEnvironmentBodySchema,
        response: { 201: EnvironmentSchema, ...errorResponses(400, 403, 409, 415) },
      },
    },
    async (request, reply) => {
      const { name, ...input } = request.body;
      return reply.status(201).send(await environments.add(name, input));
    },
  );

  app.patch(
    '/api/environments/:name',
    {
      config: { permission: 'runs:write', audit: { action: 'environment.update', object: 'param:name' } },
      preValidation: requireJson,
      validatorCompiler: strictValidator,
      schema: {
        tags,
        summary:
          "Change an environment's interpreter or requirements (hosts build the new spec when next needed)",
        params: EnvironmentParamsSchema,
        body: UpdateEnvironmentBodySchema,
        response: { 200: EnvironmentSchema, ...errorResponses(400, 403, 404, 415) },
      },
    },
    async (request) => environments.update(request.params.name, request.body),
  );

  app.delete(
    '/api/environments/:name',
    {
      config: { permission: 'runs:write', audit: { action: 'environment.delete', object: 'param:name' } },
      schema: {
        tags,
        summary: "Remove an environment and this host's copy",
        params: EnvironmentParamsSchema,
        response: { 204: {}, ...errorResponses(403, 404) },
      },
    },
    async (request, reply) => {
      await environments.remove(request.params.name);
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/environments/:name/build',
    {
      config: { permission: 'runs:write', audit: { action: 'environment.build', object: 'param:name' } },
      schema: {
        tags,
        summary: 'Build it now, as an ordinary execution whose log is live (venv, then pip install)',
        params: EnvironmentParamsSchema,
        response: { 202: EnvironmentBuildSchema, ...errorResponses(403, 404) },
      },
    },
    async (request, reply) => {
      const { environment, execution } = await environments.build(request.params.name, {
        createdBy: createdByOf(principalOf(request)),
      });
      return reply.status(202).send({ environment, execution });
    },
  );

  app.post(
    '/api/environments/:name/reset',
    {
      config: { permission: 'runs:write', audit: { action: 'environment.reset', object: 'param:name' } },
      schema: {
        tags,
        summary: "Clear a stuck build and delete this host's copy; every host builds afresh next time",
        params: EnvironmentParamsSchema,
        response: { 200: EnvironmentSchema, ...errorResponses(403, 404) },
      },
    },
    async (request) => environments.reset(request.params.name),
  );
}
