import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { normalizeLabels, type WorkerIdentity } from '../../core/workers.js';
import {
  ClaimBodySchema,
  ClaimReplySchema,
  HeartbeatBodySchema,
  HeartbeatReplySchema,
  NoClaimReplySchema,
  WorkerListSchema,
  type WorkerIdentityBody,
} from '../../protocol/worker-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';

const TAGS = ['workers'];

const identity = (body: WorkerIdentityBody): WorkerIdentity => ({
  ...body,
  labels: normalizeLabels(body.labels, 'body.worker.labels'),
});

/**
 * `/api/workers/*` (docs/WORKERS.md): `stepflow worker` claims runs (long-poll) and heartbeats; its
 * runs report through `/api/remote/*`. Also the lease sweep: a run whose worker is silent past
 * STEPFLOW_WORKER_LEASE_SECONDS becomes `lost`.
 */
export async function workersRoutes(app: StepflowApp, context: ServerContext): Promise<void> {
  const { workers } = context.app;
  const leaseSeconds = workers.leaseMs / 1000;
  // Four times per lease (at most every 5 s): a run is lost at most a quarter lease late.
  const sweep = setInterval(
    () => {
      workers.expireLeases().then(
        (lost) => {
          for (const execution of lost) {
            app.log.warn(
              { executionId: execution.id, worker: execution.worker?.name },
              'execution lost: its worker sent no heartbeat for the lease',
            );
          }
        },
        (error: unknown) => app.log.error({ err: error }, 'worker lease check failed'),
      );
    },
    Math.min(workers.leaseMs / 4, 5000),
  );
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));

  const scope = app.withTypeProvider<TypeBoxTypeProvider>();
  scope.post(
    '/api/workers/claim',
    {
      config: { permission: 'worker:report' },
      schema: {
        tags: TAGS,
        summary: 'Claim a queued run for this worker (held up to waitSeconds until one is submitted)',
        description:
          'Answers at once when a run whose labels (runsOn) the worker has all is queued. The reply ' +
          'names the attempt every report of the run must carry (header StepFlow-Attempt).',
        body: ClaimBodySchema,
        response: { 200: ClaimReplySchema, 202: NoClaimReplySchema, ...errorResponses(400) },
      },
    },
    async (request, reply) => {
      const { worker, waitSeconds = 0 } = request.body;
      // The worker hung up (it is stopping, or its request timed out): stop waiting for it.
      const hangUp = new AbortController();
      reply.raw.once('close', () => hangUp.abort());
      const claimed = await workers.claim(identity(worker), {
        waitMs: waitSeconds * 1000,
        signal: hangUp.signal,
      });
      if (claimed === undefined) return reply.status(202).send({ claimed: false, leaseSeconds });
      return reply.status(200).send({
        claimed: true,
        executionId: claimed.execution.id,
        attempt: claimed.attempt,
        spec: { ...claimed.spec },
        leaseSeconds,
      });
    },
  );

  scope.post(
    '/api/workers/heartbeat',
    {
      config: { permission: 'worker:report' },
      schema: {
        tags: TAGS,
        summary: "A worker is alive: renews its runs' leases; the answer names runs to stop or cancel",
        body: HeartbeatBodySchema,
        response: { 200: HeartbeatReplySchema, ...errorResponses(400) },
      },
    },
    async (request) => {
      const { worker, runs, host } = request.body;
      const result = await workers.heartbeat(identity(worker), runs, host);
      return { stale: result.stale, cancel: result.cancelRequested, leaseSeconds };
    },
  );

  scope.get(
    '/api/workers',
    {
      config: { permission: 'workers:read' },
      schema: {
        tags: TAGS,
        summary: 'Registered workers: labels, slots, last heartbeat, version, the runs they hold',
        response: { 200: WorkerListSchema },
      },
    },
    async () => ({ workers: await workers.list(), leaseSeconds }),
  );
}
