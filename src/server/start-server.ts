import { loadConfig } from '../config.js';
import { createStepflow } from '../stepflow.js';
import { buildServer } from './build-server.js';
import type { ServerOptions } from './server-options.js';

/**
 * `stepflow server`: wires StepFlow, builds the app, listens, and on SIGTERM/SIGINT stops in
 * reverse order: no new connections, running executions cancelled and recorded, store closed.
 */
export async function startServer(options: ServerOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const stepflow = await createStepflow(loadConfig());
  const app = await buildServer(stepflow, options);
  for (const id of stepflow.recovered) app.log.warn({ executionId: id }, 'marked interrupted: its process had died');
  const address = await app.listen({ host: options.host, port: options.port });
  app.log.info(`StepFlow ${address} (data: ${stepflow.config.dataDir})`);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await stepflow.engine.shutdown();
      await app.close();
      await stepflow.close();
    })());
  return { url: address, stop };
}
