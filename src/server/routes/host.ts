import { HostReportSchema } from '../../protocol/host-schemas.js';
import type { ServerContext, StepflowApp } from '../build-server.js';
import { errorResponses } from './error-responses.js';

/**
 * `GET /api/host` (docs/DASHBOARD.md, "Host monitor"): this server's machine and every live
 * worker's, with the last minutes of samples. Live samples come on the `host` topic of `/ws`.
 */
export function hostRoutes(app: StepflowApp, context: ServerContext): void {
  const { host } = context.app;
  app.get(
    '/api/host',
    {
      // Machine figures and the data dir's path, no secret: whoever may read the health may read this.
      config: { permission: 'server:read' },
      schema: {
        tags: ['health'],
        summary: "CPU, load, memory, swap, disk, network of this server's machine and each live worker's",
        description:
          'The current sample and the last minutes of each host (this server first). Samples are ' +
          'taken every `intervalMs` only while a client watches the `host` live topic; otherwise ' +
          '`current` is one reading taken for this request. Workers send theirs with each heartbeat.',
        response: { 200: HostReportSchema, ...errorResponses() },
      },
    },
    async () => host.report(),
  );
}
