import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { VerifyReportSchema } from '../../protocol/integrity-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { attachmentDisposition } from './content-disposition.js';
import { errorResponses } from './error-responses.js';

const BINARY = { schema: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }) };

/**
 * `POST /api/admin/backup` (the archive `stepflow backup` writes, streamed as it is built) and
 * `GET /api/health/integrity` (the report `stepflow verify --json` prints, without repairs).
 * docs/OPERATIONS.md. Both refuse with 400 `unsupported` on PostgreSQL.
 */
export async function dataDirCareRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const care = context.app.dataDirCare;

  app.post(
    '/api/admin/backup',
    {
      config: { permission: 'settings:admin', audit: { action: 'backup.create' } },
      schema: {
        tags: ['admin'],
        summary: 'A consistent backup of the data dir while runs go on: database and artifacts, as tar.gz',
        response: {
          200: { description: 'stepflow-backup-<time>.tar.gz', content: { 'application/gzip': BINARY } },
          ...errorResponses(400),
        },
      },
    },
    async (request, reply) => {
      const output = new PassThrough();
      const backup = care.backup({ output });
      // Nothing is sent before the snapshot is taken and the archive starts: a refusal or a failure
      // to copy the database is still an error response. A failure later can only cut the stream
      // (the archive then fails its checks on restore).
      await Promise.race([once(output, 'readable'), backup]);
      backup.then(
        (manifest) => request.log.info({ counts: manifest.counts }, 'backup taken'),
        (error: unknown) => {
          request.log.error({ err: error }, 'backup failed while it was sent');
          output.destroy(error instanceof Error ? error : new Error(String(error)));
        },
      );
      const name = `stepflow-backup-${new Date().toISOString().replace(/[:.]/g, '-')}.tar.gz`;
      return reply
        .type('application/gzip')
        .header('content-disposition', attachmentDisposition(name))
        .send(output);
    },
  );

  app.get(
    '/api/health/integrity',
    {
      config: { permission: 'settings:admin' },
      schema: {
        tags: ['health'],
        summary: 'Verify the data dir: database, artifact files and hashes, log lines, runs nobody owns',
        response: { 200: VerifyReportSchema, ...errorResponses(400) },
      },
    },
    async (request) => {
      const report = await care.verify();
      if (!report.ok) request.log.warn({ problems: report.problems.length }, 'the data dir has problems');
      return report;
    },
  );
}
