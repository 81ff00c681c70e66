import { ArtifactPageSchema, ListArtifactsQuerySchema } from '../../protocol/api-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';

/** `GET /api/artifacts`: every execution's artifacts, newest first, for the Artifacts page. */
export async function artifactsListRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const store = context.app.executions.reads;
  app.get(
    '/api/artifacts',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags: ['artifacts'],
        summary: 'All artifacts, newest execution first, with their execution (keyset pagination)',
        querystring: ListArtifactsQuerySchema,
        response: { 200: ArtifactPageSchema, ...errorResponses(400) },
      },
    },
    async (request) => {
      const { q, limit, cursor } = request.query;
      const page = await store.listArtifacts({ text: q, limit, cursor });
      // Where StepFlow keeps its copy is none of the client's business.
      return {
        items: page.items.map(({ storedPath: _storedPath, ...item }) => item),
        nextCursor: page.nextCursor,
      };
    },
  );
}
