import { describe, expect, it } from 'vitest';
import { useTestServers } from '../helpers/test-server.js';

const startServer = useTestServers();

describe('GET /', () => {
  it('serves the dashboard; the API reference at /docs lists the executions routes but not the pages', async () => {
    const server = await startServer();
    const root = await fetch(`${server.url}/`);
    expect(root.status).toBe(200);
    expect(await root.text()).toContain('<div id="root">');
    const docs = await fetch(`${server.url}/docs/json`);
    const spec = (await docs.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toContain('/api/executions');
    expect(Object.keys(spec.paths)).not.toContain('/');
    expect(Object.keys(spec.paths)).not.toContain('/*');
  });

  it('gives client-side routes the app shell and caches hashed assets for good', async () => {
    const server = await startServer();
    const deepLink = await fetch(`${server.url}/executions/01ABC?x=1`);
    expect(deepLink.status).toBe(200);
    expect(deepLink.headers.get('cache-control')).toBe('no-cache');
    const html = await deepLink.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const script = await fetch(`${server.url}${asset}`);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${server.url}/assets/missing.js`)).status).toBe(404);
  });
});
