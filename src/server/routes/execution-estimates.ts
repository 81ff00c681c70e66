import { notFound } from '../../core/errors.js';
import type { ExecutionDetail } from '../../core/model.js';
import { ExecutionParamsSchema } from '../../protocol/api-schemas.js';
import { ExecutionEstimatesSchema, type ExecutionEstimatesBody } from '../../protocol/execution-estimates.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';

/** Expected durations of an execution and its steps, from the last successful run of the same name. */
export async function executionEstimatesRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const store = context.app.executions.reads;

  app.get(
    '/api/executions/:id/estimates',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags: ['executions'],
        summary:
          'Expected durations (whole run and per step name) from the newest succeeded execution with the same name',
        params: ExecutionParamsSchema,
        response: { 200: ExecutionEstimatesSchema, ...errorResponses(400, 404) },
      },
    },
    async (request): Promise<ExecutionEstimatesBody> => {
      const execution = await store.getExecution(request.params.id);
      if (execution === undefined) throw notFound('execution', request.params.id);
      const previous = await store.lastSucceededByName(execution.name, execution.createdAt);
      // Deleted between the two reads: as good as never having run.
      const detail = previous && (await store.getExecution(previous.id));
      if (!detail) return { basedOn: null, totalMs: null, steps: {} };
      return { basedOn: detail.id, totalMs: detail.durationMs, steps: stepDurations(detail) };
    },
  );
}

/** Name → duration of the first ended step of each name (later repeats are usually retries or loops). */
function stepDurations(detail: ExecutionDetail): Record<string, number> {
  const durations = new Map<string, number>();
  for (const step of detail.steps) {
    if (step.durationMs !== null && !durations.has(step.name)) durations.set(step.name, step.durationMs);
  }
  // fromEntries defines own properties, so a step called "__proto__" is just a key.
  return Object.fromEntries(durations);
}
