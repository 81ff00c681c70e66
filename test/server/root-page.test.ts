import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

let server: TestServer | undefined;
afterEach(async () => server?.close());

describe('GET /', () => {
  it('sends a browser to the API reference, which lists the executions routes', async () => {
    server = await startTestServer();
    const root = await fetch(`${server.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/docs');
    const docs = await fetch(`${server.url}/docs/json`);
    const spec = (await docs.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toContain('/api/executions');
    expect(Object.keys(spec.paths)).not.toContain('/');
  });
});
