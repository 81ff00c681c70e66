import { notFound } from '../../core/errors.js';
import { stepTrends } from '../../core/step-trends.js';
import { ExecutionParamsSchema } from '../../protocol/api-schemas.js';
import {
  ExecutionTrendsQuerySchema,
  ExecutionTrendsSchema,
  type ExecutionTrendsBody,
} from '../../protocol/execution-trends.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';

/** Per-step duration trends over the newest runs of the same job (or name). */
export async function executionTrendsRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const store = context.app.executions.reads;

  app.get(
    '/api/executions/:id/trends',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags: ['executions'],
        summary:
          "Each step's duration in the newest runs of the same job (or name), this one included, with the median",
        params: ExecutionParamsSchema,
        querystring: ExecutionTrendsQuerySchema,
        response: { 200: ExecutionTrendsSchema, ...errorResponses(400, 404) },
      },
    },
    async (request): Promise<ExecutionTrendsBody> => {
      const recent = await store.recentRuns(request.params.id, request.query.limit ?? 20);
      if (recent === undefined) throw notFound('execution', request.params.id);
      return stepTrends(recent.basis, recent.runs);
    },
  );
}
