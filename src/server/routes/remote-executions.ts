import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  CreateRemoteExecutionBody,
  CreateRemoteExecutionReply,
  RemoteBatchBody,
  RemoteBatchReply,
  RemoteExecutionParams,
} from '../../protocol/remote-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { attemptOf } from './attempt-header.js';
import { registerRemoteArtifactRoute, MAX_REMOTE_ARTIFACT_BYTES } from './remote-artifacts.js';

const TAGS = ['remote'];

/**
 * `/api/remote/*`: runs started elsewhere with `stepflow run --server` report here (docs/REMOTE.md).
 * Registered as its own plugin so the octet-stream body parser of artifact uploads stays local.
 */
export async function registerRemoteRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const ingest = context.app.remote;
  const { remoteLeaseMs } = context.options;
  // Checked four times per lease (at most every 30 s), so a run is marked at most 25 % late.
  const sweep = setInterval(
    () => {
      ingest.expireLeases(remoteLeaseMs).then(
        (ids) => {
          for (const id of ids)
            app.log.warn({ executionId: id }, 'remote execution interrupted: lease expired');
        },
        (error: unknown) => app.log.error({ err: error }, 'remote lease check failed'),
      );
    },
    Math.min(remoteLeaseMs / 4, 30_000),
  );
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
  await app.register(async (plugin) => {
    const scope = plugin.withTypeProvider<TypeBoxTypeProvider>();

    scope.post(
      '/api/remote/executions',
      {
        // `stepflow worker` reports its runs here too, with its token (docs/WORKERS.md).
        config: { permission: 'worker:report' },
        schema: {
          tags: TAGS,
          summary: 'Create an execution that runs on another host (idempotent: 200 when it exists)',
          body: CreateRemoteExecutionBody,
          response: { 200: CreateRemoteExecutionReply, 201: CreateRemoteExecutionReply },
        },
      },
      async (request, reply) => {
        const { execution } = request.body;
        const { created, lastSeq } = await ingest.create(execution, attemptOf(request));
        return reply
          .status(created ? 201 : 200)
          .send({ id: execution.id, created, lastSeq, maxArtifactBytes: MAX_REMOTE_ARTIFACT_BYTES });
      },
    );

    scope.post(
      '/api/remote/executions/:id/batches',
      {
        // `stepflow worker` reports its runs here too, with its token (docs/WORKERS.md).
        config: { permission: 'worker:report' },
        schema: {
          tags: TAGS,
          summary: 'Append log lines and state changes of a remote execution (retry-safe by seq)',
          description:
            'Lines at or below the stored last seq are skipped; a first seq past it + 1 is refused ' +
            'with 409 and `error.details.expectedSeq`. The batch carrying a terminal execution ends the run.',
          params: RemoteExecutionParams,
          body: RemoteBatchBody,
          response: { 200: RemoteBatchReply },
        },
      },
      async (request) => ingest.applyBatch(request.params.id, request.body, attemptOf(request)),
    );

    registerRemoteArtifactRoute(scope, context, ingest);
  });
}
