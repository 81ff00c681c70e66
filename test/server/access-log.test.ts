import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildServer } from '../../src/server/build-server.js';
import { loadServerOptions } from '../../src/server/server-options.js';
import { createStepflow } from '../../src/stepflow.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

interface AccessLine {
  level: number;
  method: string;
  route: string;
  status: number;
  ms: number;
  msg: string;
}

async function withServer(
  level: string,
  act: (url: string) => Promise<void>,
): Promise<Record<string, unknown>[]> {
  const dataDir = tempDir();
  const stepflow = await createStepflow({ ...loadConfig({}, dataDir), dataDir });
  const options = loadServerOptions({ STEPFLOW_LOG_LEVEL: level }, { port: '0' });
  let log = '';
  const app = await buildServer(stepflow, options, { logStream: { write: (line) => (log += line) } });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    await act(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
  } finally {
    await app.close();
    await stepflow.close();
  }
  return log
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const accessLines = (entries: Record<string, unknown>[]) =>
  entries.filter((entry) => typeof entry.route === 'string') as unknown as AccessLine[];

describe('access log', () => {
  it('writes one info line per request with method, route, status and time, never the query string', async () => {
    const entries = await withServer('info', async (url) => {
      expect((await fetch(`${url}/api/executions?limit=5&search=hunter2`)).status).toBe(400);
      expect((await fetch(`${url}/api/executions?limit=5`)).status).toBe(200);
      expect((await fetch(`${url}/api/executions/01nosuchexecution`)).status).toBe(404);
      expect((await fetch(`${url}/api/nope`)).status).toBe(404);
      const posted = await fetch(`${url}/api/executions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ command: 'true', bogus: 1 }),
      });
      expect(posted.status).toBe(400);
      // A liveness probe that succeeds is not worth a line at info.
      expect((await fetch(`${url}/api/health`)).status).toBe(200);
    });
    const lines = accessLines(entries);
    expect(lines.map(({ method, route, status }) => `${method} ${route} ${status}`)).toEqual([
      'GET /api/executions 400',
      'GET /api/executions 200',
      'GET /api/executions/:id 404',
      'GET (no route) 404',
      'POST /api/executions 400',
    ]);
    for (const line of lines) {
      expect(line.level).toBe(30);
      expect(line.ms).toBeGreaterThanOrEqual(0);
      expect(line.msg).toBe(`${line.method} ${line.route} ${line.status} ${line.ms} ms`);
    }
    // Fastify's own "incoming request" / "request completed" pair is not written as well.
    expect(entries.filter((entry) => entry.msg === 'incoming request')).toEqual([]);
    expect(JSON.stringify(entries)).not.toContain('hunter2');
  });

  it('logs health probes at debug', async () => {
    const entries = await withServer('debug', async (url) => {
      expect((await fetch(`${url}/api/health`)).status).toBe(200);
    });
    expect(accessLines(entries).map(({ level, route }) => `${level} ${route}`)).toEqual(['20 /api/health']);
  });
});
