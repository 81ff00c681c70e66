import {
  ApiTokenListSchema,
  ApiTokenSchema,
  CreatedTokenSchema,
  CreateTokenBodySchema,
  TokenIdParamsSchema,
  TokenListQuerySchema,
} from '../../protocol/user-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { principalOf } from '../route-access.js';
import { errorResponses } from './error-responses.js';
import { requireJson } from './require-json.js';

const tags = ['tokens'];

/**
 * `/api/tokens` (docs/USERS.md): every signed-in user manages their own API tokens; `users:admin`
 * anyone's. Who may is decided in app/api-tokens.ts, so the routes only need a known caller.
 */
export async function tokensRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const { tokens } = context.app;
  const config = { permission: 'signed-in' } as const;

  app.post(
    '/api/tokens',
    {
      config: { ...config, audit: { action: 'token.create', object: 'body:name' } },
      preValidation: requireJson,
      schema: {
        tags,
        summary: 'Create an API token: the answer holds its secret, shown this once',
        body: CreateTokenBodySchema,
        response: { 201: CreatedTokenSchema, ...errorResponses(400, 403, 404, 409, 415) },
      },
    },
    async (request, reply) => {
      const created = await tokens.create(principalOf(request), request.body);
      // The secret must not linger in a cache between here and the caller.
      return reply.status(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.get(
    '/api/tokens',
    {
      config,
      schema: {
        tags,
        summary: "The caller's API tokens (an admin may name another user with ?user=)",
        querystring: TokenListQuerySchema,
        response: { 200: ApiTokenListSchema, ...errorResponses(400, 403, 404) },
      },
    },
    async (request) => ({ tokens: await tokens.list(principalOf(request), request.query.user) }),
  );

  app.delete(
    '/api/tokens/:id',
    {
      config: { ...config, audit: { action: 'token.revoke', object: 'param:id' } },
      schema: {
        tags,
        summary: 'Revoke an API token: the next request with it is refused',
        params: TokenIdParamsSchema,
        response: { 200: ApiTokenSchema, ...errorResponses(404) },
      },
    },
    async (request) => tokens.revoke(principalOf(request), request.params.id),
  );
}
