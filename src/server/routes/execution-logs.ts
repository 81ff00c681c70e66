import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { ERROR_CODES, StepflowError, notFound, validationError } from '../../core/errors.js';
import type { LogLine } from '../../core/model.js';
import {
  ExecutionParamsSchema,
  LogOutlineSchema,
  LogPageSchema,
  LogQuerySchema,
  LogSearchPageSchema,
  LogSearchQuerySchema,
  type LogLineBody,
} from '../../protocol/api-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';
import { createLogTextStream } from './log-text-stream.js';
import { streamBody } from './stream-body.js';

/**
 * `GET /api/executions/:id/logs/outline` and `…/logs/search` serve viewers that page a huge log:
 * the outline says which step owns which seq range without any text, the search gives exact
 * totals for the whole log and the matching seqs by pages.
 *
 * `GET /api/executions/:id/logs`: JSON pages (`after` = the previous `nextAfter`), or with
 * `format=text` the raw masked log streamed as it is read, and with `follow=1` a live tail that
 * ends when the execution does (`curl -N '…/logs?format=text&follow=1'`).
 */
export async function executionLogsRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const store = context.app.executions.reads;

  app.get(
    '/api/executions/:id/logs',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags: ['executions'],
        summary: 'Log lines as JSON pages, or the raw log as text (optionally followed live)',
        params: ExecutionParamsSchema,
        querystring: LogQuerySchema,
        response: {
          200: {
            description: 'A page of lines, or with format=text the log as plain text',
            content: {
              'application/json': { schema: LogPageSchema },
              // Typed as the stream the handler sends; documented as the text the client gets.
              'text/plain': { schema: Type.Unsafe<Readable>({ type: 'string' }) },
            },
          },
          ...errorResponses(400, 404, 410),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { after, limit, step, stream, q, format = 'json', follow: followParam } = request.query;
      const follow = followParam === '1' || followParam === 'true';
      const filter = { stepId: step, stream, text: q };
      if (format === 'json') {
        if (follow) {
          throw validationError(
            'querystring.follow needs format=text; JSON pages are polled with after=nextAfter',
            {
              field: 'follow',
            },
          );
        }
        const page = await store.readLog(id, { ...filter, after, limit });
        return reply.type('application/json; charset=utf-8').send({
          lines: page.lines.map(toLogLineBody),
          nextAfter: page.nextAfter,
          hasMore: page.hasMore,
          ...(page.expiredAt === undefined ? {} : { expiredAt: page.expiredAt }),
        });
      }
      if (limit !== undefined) {
        throw validationError('querystring.limit applies to format=json only; text streams the whole log', {
          field: 'limit',
        });
      }
      // Checked before the status line goes out: afterwards an error can only cut the response.
      const execution = await store.getExecution(id);
      if (execution === undefined) throw notFound('execution', id);
      // An empty text body would read as a run that printed nothing.
      if (execution.logExpiredAt !== undefined) {
        throw new StepflowError(
          ERROR_CODES.EXPIRED,
          `the log of execution ${id} was dropped by retention at ${execution.logExpiredAt} (${execution.lineCount} lines); its record and steps are kept`,
          { details: { expiredAt: execution.logExpiredAt, lineCount: execution.lineCount } },
        );
      }
      const body = await streamBody(request, () =>
        createLogTextStream({ store, executionId: id, filter, after, follow }),
      );
      reply
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff');
      if (follow) {
        // A live tail: no proxy buffering, and the headers go out before the first line does.
        reply.header('x-accel-buffering', 'no');
        body.once('resume', () => reply.raw.flushHeaders());
      }
      return reply.send(body);
    },
  );

  app.get(
    '/api/executions/:id/logs/outline',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags: ['executions'],
        summary: "The log's steps as seq ranges (no text): what a paging log viewer lays out",
        params: ExecutionParamsSchema,
        response: { 200: LogOutlineSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => store.readLogOutline(request.params.id),
  );

  app.get(
    '/api/executions/:id/logs/search',
    {
      config: { permission: 'runs:read' },
      schema: {
        tags: ['executions'],
        summary: 'Case-insensitive search of the whole log: exact totals, matching lines by pages',
        params: ExecutionParamsSchema,
        querystring: LogSearchQuerySchema,
        response: { 200: LogSearchPageSchema, ...errorResponses(400, 404) },
      },
    },
    async (request) => {
      const { q, after, limit } = request.query;
      return store.searchLog(request.params.id, { text: q, after, limit });
    },
  );
}

function toLogLineBody(line: LogLine): LogLineBody {
  const { flags, ...rest } = line;
  return flags === 0 ? rest : line;
}
