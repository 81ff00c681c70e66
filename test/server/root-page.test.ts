import http from 'node:http';
import zlib from 'node:zlib';
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

  it('sends the script compressed to browsers that accept it, and never its source map', async () => {
    const server = await startServer();
    const html = await (await fetch(`${server.url}/`)).text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const plain = Buffer.from(
      await (
        await fetch(`${server.url}${asset}`, { headers: { 'accept-encoding': 'identity' } })
      ).arrayBuffer(),
    );
    expect(plain.toString()).not.toContain('sourceMappingURL');
    for (const [encoding, decode] of [
      ['br', zlib.brotliDecompressSync],
      ['gzip', zlib.gunzipSync],
    ] as const) {
      // undici's fetch would decode the body itself; node:http shows the bytes as sent.
      const { headers, body } = await rawGet(`${server.url}${asset}`, { 'accept-encoding': encoding });
      expect(headers['content-encoding'], encoding).toBe(encoding);
      expect(body.length, encoding).toBeLessThan(plain.length / 2);
      expect(decode(body).equals(plain), encoding).toBe(true);
      expect(headers['cache-control']).toContain('immutable');
    }
    const map = await fetch(`${server.url}${asset}.map`);
    expect(map.status).toBe(404);
  });
});

async function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}
