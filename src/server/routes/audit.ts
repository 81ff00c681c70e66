import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { auditFilterFrom, type AuditFilter } from '../../core/audit.js';
import type { Audit } from '../../app/audit.js';
import { AuditPageSchema, AuditQuerySchema } from '../../protocol/audit-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';

/** Entries per store read while exporting. */
const EXPORT_PAGE = 500;

/** `GET /api/audit` (docs/AUDIT.md): the audit log, newest first, for admins. */
export async function auditRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const { audit } = context.app;
  app.get(
    '/api/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['admin'],
        summary: 'The audit log, newest first: filters, keyset pages (cursor), or every entry as JSON lines',
        querystring: AuditQuerySchema,
        response: {
          200: {
            description: 'A page; with format=jsonl every matching entry, one JSON object a line',
            content: {
              'application/json': { schema: AuditPageSchema },
              // Typed as the stream the handler sends; documented as the text the client gets.
              'application/x-ndjson': { schema: Type.Unsafe<Readable>({ type: 'string' }) },
            },
          },
          ...errorResponses(400),
        },
      },
    },
    async (request, reply) => {
      const { limit = 100, cursor, format, ...input } = request.query;
      const filter = auditFilterFrom(input, new Date());
      if (format === 'jsonl') {
        // The first page is read before answering, so a bad cursor or a store error is still a JSON error.
        const first = await audit.list(filter, { limit: EXPORT_PAGE, ...(cursor ? { before: cursor } : {}) });
        return reply
          .type('application/x-ndjson; charset=utf-8')
          .header('content-disposition', 'attachment; filename="stepflow-audit.jsonl"')
          .send(Readable.from(exportLines(audit, filter, first)));
      }
      const page = await audit.list(filter, { limit, ...(cursor ? { before: cursor } : {}) });
      return reply.type('application/json; charset=utf-8').send(page);
    },
  );
}

/** Every entry from `first` on, one JSON line each, a page per chunk. */
async function* exportLines(
  audit: Audit,
  filter: AuditFilter,
  first: Awaited<ReturnType<Audit['list']>>,
): AsyncGenerator<string> {
  let page = first;
  for (;;) {
    if (page.entries.length > 0) yield page.entries.map((entry) => `${JSON.stringify(entry)}\n`).join('');
    if (page.nextCursor === null) return;
    page = await audit.list(filter, { limit: EXPORT_PAGE, before: page.nextCursor });
  }
}
