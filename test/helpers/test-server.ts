import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { forServer, loadConfig } from '../../src/config.js';
import { buildServer, type StepflowApp } from '../../src/server/build-server.js';
import { liveHubOf, type LiveHubOptions } from '../../src/server/live/live-hub.js';
import { loadServerOptions, type ServerOptions } from '../../src/server/server-options.js';
import { createStepflow, type Stepflow } from '../../src/stepflow.js';

export interface TestServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  app: StepflowApp;
  stepflow: Stepflow;
  dataDir: string;
  /** Cuts every WebSocket the server holds, as a network failure would; returns how many. */
  dropLiveClients(): number;
  close(): Promise<void>;
}

/**
 * The real server on port 0 with a temp data dir, in this process. Pass env-style settings
 * (e.g. `{ STEPFLOW_API_KEY: 'k' }`) and config overrides; `close()` stops it and removes the dir.
 */
export async function startTestServer(
  settings: {
    env?: NodeJS.ProcessEnv;
    config?: Partial<Stepflow['config']>;
    options?: Partial<ServerOptions>;
    live?: Partial<LiveHubOptions>;
    /** Reuse this data dir (a restart); the caller owns it, `close()` leaves it in place. */
    dataDir?: string;
  } = {},
): Promise<TestServer> {
  const dataDir = settings.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-server-test-'));
  const stepflow = await createStepflow(
    {
      // As `stepflow server` does: runs get an allow-list of this process's environment.
      ...forServer(loadConfig({}, dataDir)),
      dataDir,
      killGraceMs: 500,
      ...settings.config,
    },
    // As `stepflow server` does.
    { spawnHelper: true },
  );
  const options = {
    ...loadServerOptions({ STEPFLOW_LOG_LEVEL: 'silent', ...settings.env }, { port: '0' }),
    ...settings.options,
  };
  const app = await buildServer(stepflow, options, { logger: false, live: settings.live });
  await app.listen({ host: options.host, port: 0 });
  // As `stepflow server` does: jobs fire only while a server listens.
  await stepflow.scheduler.start();
  const { port } = app.server.address() as AddressInfo;
  let closed = false;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    app,
    stepflow,
    dataDir,
    dropLiveClients: () => liveHubOf(app.server)?.disconnectAll() ?? 0,
    async close() {
      if (closed) return;
      closed = true;
      await stepflow.scheduler.stop();
      await stepflow.engine.shutdown();
      await app.close();
      await stepflow.close();
      if (settings.dataDir === undefined) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A `startTestServer` whose servers are closed after each test (like `useTempDirs`). */
export function useTestServers(): (settings?: Parameters<typeof startTestServer>[0]) => Promise<TestServer> {
  const started: TestServer[] = [];
  afterEach(async () => {
    for (const server of started.splice(0)) await server.close();
  });
  return async (settings = {}) => {
    const server = await startTestServer(settings);
    started.push(server);
    return server;
  };
}
