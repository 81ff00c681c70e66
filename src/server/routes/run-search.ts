import { parseSince } from '../../core/since-time.js';
import { toRunSearchPageJson } from '../../protocol/run-search-json.js';
import { RunSearchPageSchema, RunSearchQuerySchema } from '../../protocol/run-search-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';
import { statusesFrom } from './executions.js';

/**
 * `GET /api/search`: every run's log searched through the store's index (docs/SEARCH.md). Runs
 * with a match newest first, exact counts per run, the first matching lines as excerpts.
 */
export async function runSearchRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const reads = context.app.executions.reads;
  app.get(
    '/api/search',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags: ['executions'],
        summary: "Search every run's log: runs with a match, newest first, with exact counts and line links",
        querystring: RunSearchQuerySchema,
        response: { 200: RunSearchPageSchema, ...errorResponses(400) },
      },
    },
    async (request) => {
      const { q, status, since, jobId, tag, limit, lines, cursor } = request.query;
      const page = await reads.searchRuns({
        text: q,
        status: statusesFrom(status),
        since: since === undefined ? undefined : parseSince(since, new Date()),
        jobId,
        tags: tag,
        limit,
        linesPerRun: lines,
        cursor,
      });
      return toRunSearchPageJson(page, q);
    },
  );
}
