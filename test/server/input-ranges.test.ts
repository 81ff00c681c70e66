import { describe, expect, it } from 'vitest';
import type { ErrorBodyJson } from '../../src/protocol/api-schemas.js';
import type { JobListBody } from '../../src/protocol/job-schemas.js';
import { useTestServers } from '../helpers/test-server.js';
import { call } from './execution-api-client.js';

const startServer = useTestServers();

let serial = 0;
/** A paused job body (nothing fires), with `overrides` on top. */
const job = (overrides: Record<string, unknown> = {}) => ({
  name: `ranges-${++serial}`,
  command: 'true',
  triggers: [],
  enabled: false,
  ...overrides,
});

describe('input ranges', () => {
  it('refuses the numbers that used to answer 500 with a 400 naming the field, and stores nothing', async () => {
    const { url } = await startServer();
    const created = await call<ErrorBodyJson>(
      url,
      'POST',
      '/api/jobs',
      job({ triggers: [{ intervalSeconds: 8_000_000_000_000 }] }),
    );
    expect(created.status).toBe(400);
    expect(created.body.error.message).toMatch(/^body\.triggers\.0\.intervalSeconds .*31622400/);
    const list = await call<JobListBody>(url, 'GET', '/api/jobs');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ items: [] });

    for (const [query, field] of [
      ['/api/jobs?recentRuns=1e309', 'querystring.recentRuns'],
      ['/api/jobs?recentRuns=-1e309', 'querystring.recentRuns'],
      ['/api/schedules/preview?intervalSeconds=1800000000000', 'querystring.intervalSeconds'],
      ['/api/executions/x/logs?after=1e309', 'querystring.after'],
      ['/api/executions?limit=1e309', 'querystring.limit'],
    ] as const) {
      const response = await call<ErrorBodyJson>(url, 'GET', query);
      expect(response.status, query).toBe(400);
      expect(response.body.error.message, query).toContain(field);
    }
  });

  it.each([
    [
      'triggers.0.intervalSeconds',
      (v: number) => job({ triggers: [{ intervalSeconds: v }] }),
      [1, 31_622_400],
      [0.5, 31_622_401],
    ],
    ['timeout', (v: number) => job({ timeout: v }), [0.001, 2_592_000], [0, 2_592_001]],
    ['lateAfterSeconds', (v: number) => job({ lateAfterSeconds: v }), [0.001, 2_592_000], [0, 2_592_001]],
    [
      'retry.delaySeconds',
      (v: number) => job({ retry: { delaySeconds: v, maxDelaySeconds: 604_800 } }),
      [0, 604_800],
      [-1, 604_801],
    ],
    ['retry.onExitCodes', (v: number) => job({ retry: { onExitCodes: [v] } }), [0, 255], [-1, 256]],
    [
      'maxConcurrentRuns',
      (v: number) => job({ maxConcurrentRuns: v, overlap: 'parallel' }),
      [1, 1000],
      [0, 1001],
    ],
  ] as [string, (v: number) => object, number[], number[]][])(
    'takes %s at both ends of its range and refuses past them',
    async (field, body, accepted, refused) => {
      const { url } = await startServer();
      for (const value of accepted) {
        const response = await call(url, 'POST', '/api/jobs', body(value));
        expect(response.status, `${field}=${value}: ${response.text}`).toBe(201);
      }
      for (const value of [...refused, 8e12]) {
        const response = await call<ErrorBodyJson>(url, 'POST', '/api/jobs', body(value));
        expect(response.status, `${field}=${value}`).toBe(400);
        expect(response.body.error.message).toContain(`body.${field}`);
      }
    },
  );

  it('takes a 64 Ki command and refuses a longer one; refuses NUL in names, commands, cwd, env and tags', async () => {
    const { url } = await startServer();
    const longest = `true${' '.repeat(65_536 - 4)}`;
    expect((await call(url, 'POST', '/api/executions', { command: longest })).status).toBe(201);
    const tooLong = await call<ErrorBodyJson>(url, 'POST', '/api/executions', { command: `${longest} ` });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.message).toMatch(/^body\.command/);

    for (const [body, field] of [
      [{ command: 'echo a\u0000b' }, 'body.command'],
      [{ argv: ['echo', 'a\u0000b'] }, 'body.argv.1'],
      [{ command: 'true', cwd: '/tmp\u0000' }, 'body.cwd'],
      [{ command: 'true', env: { A: 'x\u0000' } }, 'body.env.A'],
      [{ command: 'true', name: 'n\u0000' }, 'body.name'],
      [{ command: 'true', tags: { team: 'a\u0000' } }, 'body.tags.team'],
      [{ command: 'true', env: { ['N'.repeat(257)]: 'x' } }, 'body.env'],
    ] as const) {
      const response = await call<ErrorBodyJson>(url, 'POST', '/api/executions', body);
      expect(response.status, field).toBe(400);
      expect(response.body.error.message, field).toMatch(new RegExp(`^${field.replaceAll('.', '\\.')}`));
    }
  });

  it('refuses unknown query parameters everywhere, and a body where a route takes none', async () => {
    const { url } = await startServer();
    for (const path of ['/api/health', '/api/jobs', '/api/executions', '/metrics', '/api/stats']) {
      const response = await call<ErrorBodyJson>(url, 'GET', `${path}?verbose=1`);
      expect(response.status, path).toBe(400);
      expect(response.body.error.message, path).toContain('"verbose"');
    }
    const created = await call<{ id: string }>(url, 'POST', '/api/jobs', job());
    const withBody = await call<ErrorBodyJson>(url, 'POST', `/api/jobs/${created.body.id}/pause`, {
      now: true,
    });
    expect(withBody.status).toBe(400);
    expect(withBody.body.error.message).toContain('"now"');
    // What clients send today still works: nothing, or {}.
    expect((await call(url, 'POST', `/api/jobs/${created.body.id}/pause`)).status).toBe(200);
    expect((await call(url, 'POST', `/api/jobs/${created.body.id}/resume`, {})).status).toBe(200);
  });

  it('shows the ranges in the OpenAPI document', async () => {
    const { url } = await startServer();
    const doc = (await call<OpenApi>(url, 'GET', '/docs/json')).body;
    const jobBody = doc.paths['/api/jobs']!.post!.requestBody!.content['application/json']!.schema;
    expect(jobBody.properties.timeout).toMatchObject({ exclusiveMinimum: 0, maximum: 2_592_000 });
    expect(jobBody.properties.triggers!.items.properties.intervalSeconds).toMatchObject({
      minimum: 1,
      maximum: 31_622_400,
    });
    expect(jobBody.properties.command).toMatchObject({ maxLength: 65_536 });
    const recentRuns = doc.paths['/api/jobs']!.get!.parameters!.find((p) => p.name === 'recentRuns');
    expect(recentRuns?.schema).toMatchObject({ minimum: 1, maximum: 100 });
  });
});

interface SchemaNode {
  properties: Record<string, SchemaNode & { items: SchemaNode }>;
  [keyword: string]: unknown;
}
interface OpenApi {
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: { content: Record<string, { schema: SchemaNode }> };
        parameters?: { name: string; schema: unknown }[];
      }
    >
  >;
}
