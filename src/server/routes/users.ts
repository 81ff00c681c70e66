import {
  CreateUserBodySchema,
  UpdateUserBodySchema,
  UserListSchema,
  UserNameParamsSchema,
  UserSchema,
} from '../../protocol/user-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';
import { requireJson } from './require-json.js';

const tags = ['users'];

/**
 * `/api/users` (docs/USERS.md): what `stepflow users` does, for admins over HTTP. Each route calls
 * one use case of app/users.ts (the last admin is kept there).
 */
export async function usersRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const { users } = context.app;
  const config = { permission: 'users:admin' } as const;

  app.get(
    '/api/users',
    { config, schema: { tags, summary: 'Every user, by name', response: { 200: UserListSchema } } },
    async () => ({ users: await users.list() }),
  );

  app.post(
    '/api/users',
    {
      config: { ...config, audit: { action: 'user.create', object: 'body:name' } },
      preValidation: requireJson,
      schema: {
        tags,
        summary: 'Add a user with a role and a password (8 to 1024 characters)',
        body: CreateUserBodySchema,
        response: { 201: UserSchema, ...errorResponses(400, 409, 415) },
      },
    },
    async (request, reply) => reply.status(201).send(await users.add(request.body)),
  );

  app.patch(
    '/api/users/:name',
    {
      config: { ...config, audit: { action: 'user.update', object: 'param:name' } },
      preValidation: requireJson,
      schema: {
        tags,
        summary:
          "Change a user's role, disabled, or password (a new password ends its sessions); the last admin stays",
        params: UserNameParamsSchema,
        body: UpdateUserBodySchema,
        response: { 200: UserSchema, ...errorResponses(400, 404, 409, 415) },
      },
    },
    async (request) => users.update(request.params.name, request.body),
  );

  app.delete(
    '/api/users/:name',
    {
      config: { ...config, audit: { action: 'user.delete', object: 'param:name' } },
      schema: {
        tags,
        summary: 'Remove a user, its sessions and tokens; the last admin stays',
        params: UserNameParamsSchema,
        response: { 204: {}, ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      await users.remove(request.params.name);
      return reply.status(204).send();
    },
  );
}
