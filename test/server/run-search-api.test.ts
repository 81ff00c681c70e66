import { describe, expect, it } from 'vitest';
import type { ErrorBodyJson } from '../../src/protocol/api-schemas.js';
import type { RunSearchPageBody } from '../../src/protocol/run-search-schemas.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, startExecution, waitForStatus } from './execution-api-client.js';

const startServer = useTestServers();

async function finished(url: string, body: Record<string, unknown>): Promise<string> {
  const { id } = await startExecution(url, body);
  await waitForStatus(url, id, undefined, 15_000);
  return id;
}

async function search(url: string, query: string): Promise<RunSearchPageBody> {
  const response = await call<RunSearchPageBody>(url, 'GET', `/api/search?${query}`);
  expect(response.status, response.text).toBe(200);
  return response.body;
}

describe('GET /api/search', () => {
  it('finds every run whose log holds the text, newest first, with exact counts and marked excerpts', async () => {
    const { url } = await startServer();
    const failing = await finished(url, {
      command: [
        'echo STEP_START:Migrate',
        `printf 'db \\033[31mConnection Refused\\033[0m (connection refused)\\n'`,
        'seq 1 3000',
        'echo "again: connection refused"',
        'echo STEP_COMPLETE:Migrate',
        'exit 3',
      ].join('; '),
      tags: { env: 'prod' },
    });
    await finished(url, { command: 'echo all good' });
    const passing = await finished(url, {
      command: 'echo "retry: CONNECTION REFUSED once"',
      tags: { env: 'dev' },
    });

    const page = await search(url, 'q=connection%20refused');
    expect(page).toMatchObject({ nextCursor: null, truncated: false });
    expect(page.items.map((item) => item.execution.id)).toEqual([passing, failing]);
    expect(page.items[1]).toMatchObject({
      execution: { status: 'failed' },
      total: 3,
      lineTotal: 2,
      lines: [
        {
          seq: 2,
          stepName: 'Migrate',
          text: 'db Connection Refused (connection refused)',
          highlights: [
            [3, 21],
            [23, 41],
          ],
          count: 2,
          clippedStart: false,
          clippedEnd: false,
        },
        { seq: 3003, text: 'again: connection refused', count: 1 },
      ],
    });
    // The same totals as the run's own log search.
    const own = await call<{ total: number; lineTotal: number }>(
      url,
      'GET',
      `/api/executions/${failing}/logs/search?q=connection%20refused`,
    );
    expect(own.body).toMatchObject({ total: 3, lineTotal: 2 });

    const ids = async (query: string) => (await search(url, query)).items.map((item) => item.execution.id);
    expect(await ids('q=connection%20refused&status=failed')).toEqual([failing]);
    expect(await ids('q=connection%20refused&status=succeeded,cancelled')).toEqual([passing]);
    expect(await ids('q=connection%20refused&tag=env=dev')).toEqual([passing]);
    expect(await ids('q=connection%20refused&since=1h')).toEqual([passing, failing]);
    expect(await ids('q=connection%20refused&since=2999-01-01')).toEqual([]);
    const first = await search(url, 'q=connection%20refused&limit=1&lines=0');
    expect(first.items).toMatchObject([{ execution: { id: passing }, lines: [] }]);
    expect(await ids(`q=connection%20refused&cursor=${first.nextCursor}`)).toEqual([failing]);
  });

  it('answers bad or unknown parameters with a 400 naming them', async () => {
    const { url } = await startServer();
    for (const [query, message] of [
      ['', /querystring.*q/],
      ['q=ab', /q must be at least 3 characters/],
      [`q=${'x'.repeat(201)}`, /querystring\.q/],
      ['q=abc&since=yesterday', /since must be an ISO 8601 date-time .* or an age such as/],
      ['q=abc&status=done', /querystring\.status: unknown status "done"/],
      ['q=abc&limit=101', /querystring\.limit/],
      ['q=abc&lines=21', /querystring\.lines/],
      ['q=abc&cursor=nope!', /cursor "nope!" is not a cursor/],
      ['q=abc&text=1', /unknown field "text"/],
    ] as const) {
      const response = await call<ErrorBodyJson>(url, 'GET', `/api/search?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.error.code, query).toBe('validation_failed');
      expect(response.body.error.message, query).toMatch(message);
    }
  });
});
