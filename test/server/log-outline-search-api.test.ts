import { describe, expect, it } from 'vitest';
import type { ErrorBodyJson, LogOutlineBody, LogSearchPageBody } from '../../src/protocol/api-schemas.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, startExecution, waitForStatus } from './execution-api-client.js';

const startServer = useTestServers();

async function finished(url: string, command: string, timeoutMs = 10_000): Promise<string> {
  const { id } = await startExecution(url, { command });
  await waitForStatus(url, id, undefined, timeoutMs);
  return id;
}

async function ok<T>(url: string, path: string): Promise<T> {
  const response = await call<T>(url, 'GET', path);
  expect(response.status, response.text).toBe(200);
  return response.body;
}

describe('GET /api/executions/:id/logs/outline', () => {
  it('lists the seq ranges of each step, nested steps splitting their parent', async () => {
    const { url } = await startServer();
    const id = await finished(
      url,
      [
        'echo STEP_START:Outer',
        'echo out-1; echo out-1b; echo out-2',
        'echo STEP_START:Inner; echo inner-1',
        'echo STEP_COMPLETE:Inner',
        'echo outer-again',
        'echo STEP_COMPLETE:Outer',
        'echo "META:k:v"',
      ].join('; '),
    );
    const outline = await ok<LogOutlineBody>(url, `/api/executions/${id}/logs/outline`);
    expect(outline).toEqual({
      lastSeq: 10,
      segments: [
        { stepId: 1, firstSeq: 1, lastSeq: 4 },
        { stepId: 2, firstSeq: 5, lastSeq: 7 },
        { stepId: 1, firstSeq: 8, lastSeq: 9 },
        { stepId: null, firstSeq: 10, lastSeq: 10 },
      ],
    });
  });

  it('answers an empty log with lastSeq 0 and an unknown execution with a JSON 404', async () => {
    const { url } = await startServer();
    const id = await finished(url, 'true');
    expect(await ok(url, `/api/executions/${id}/logs/outline`)).toEqual({ lastSeq: 0, segments: [] });
    const missing = await call<ErrorBodyJson>(url, 'GET', '/api/executions/nope/logs/outline');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
  });
});

describe('GET /api/executions/:id/logs/search', () => {
  it('counts every occurrence case-insensitively in the text without ANSI escapes, and pages the lines', async () => {
    const { url } = await startServer();
    const id = await finished(
      url,
      [
        'echo STEP_START:One',
        `printf '\\033[31mErr\\033[0mor here ERROR error\\n'`,
        'echo fine',
        'echo STEP_COMPLETE:One',
        'echo STEP_START:Two',
        'echo "an error"',
        'echo "<b>error</b>"',
      ].join('; '),
    );
    const all = await ok<LogSearchPageBody>(url, `/api/executions/${id}/logs/search?q=eRRor`);
    expect(all).toEqual({
      total: 5,
      lineTotal: 3,
      matches: [
        { seq: 2, count: 3 },
        { seq: 6, count: 1 },
        { seq: 7, count: 1 },
      ],
      nextAfter: 7,
      hasMore: false,
    });
    const page = await ok<LogSearchPageBody>(
      url,
      `/api/executions/${id}/logs/search?q=error&after=2&limit=1`,
    );
    expect(page).toEqual({
      total: 5,
      lineTotal: 3,
      matches: [{ seq: 6, count: 1 }],
      nextAfter: 6,
      hasMore: true,
    });
    const none = await ok<LogSearchPageBody>(url, `/api/executions/${id}/logs/search?q=%5B31m`);
    expect(none).toMatchObject({ total: 0, lineTotal: 0, matches: [], hasMore: false });
  });

  it('rejects a missing, empty or too long q and bad paging with a 400 naming the field, unknown ids with a 404', async () => {
    const { url } = await startServer();
    const id = await finished(url, 'echo x');
    for (const [query, field] of [
      ['', /querystring.*q/],
      ['?q=', /querystring\.q/],
      [`?q=${'x'.repeat(201)}`, /querystring\.q/],
      ['?q=x&limit=0', /querystring\.limit/],
      ['?q=x&limit=10001', /querystring\.limit/],
      ['?q=x&after=-1', /querystring\.after/],
      ['?q=x&nope=1', /unknown field "nope"/],
    ] as const) {
      const response = await call<ErrorBodyJson>(url, 'GET', `/api/executions/${id}/logs/search${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      expect(response.body.error.message).toMatch(field);
    }
    const missing = await call<ErrorBodyJson>(url, 'GET', '/api/executions/nope/logs/search?q=x');
    expect(missing.status).toBe(404);
  });

  it('outlines and searches a 1,000,000-line log well under a second', async () => {
    const { url } = await startServer();
    const id = await finished(url, 'echo STEP_START:Count; seq 1 1000000', 60_000);
    let started = performance.now();
    const outline = await ok<LogOutlineBody>(url, `/api/executions/${id}/logs/outline`);
    const outlineMs = performance.now() - started;
    expect(outline.lastSeq).toBe(1_000_001);
    expect(outline.segments).toEqual([{ stepId: 1, firstSeq: 1, lastSeq: 1_000_001 }]);

    started = performance.now();
    const rare = await ok<LogSearchPageBody>(url, `/api/executions/${id}/logs/search?q=999999`);
    const rareMs = performance.now() - started;
    // 999999 itself, and 1999990..1999999 do not exist: only one line.
    expect(rare).toMatchObject({ total: 1, lineTotal: 1, matches: [{ seq: 1_000_000, count: 1 }] });

    started = performance.now();
    const common = await ok<LogSearchPageBody>(url, `/api/executions/${id}/logs/search?q=7&limit=10`);
    const commonMs = performance.now() - started;
    // Lines 1..1000000 holding a 7, counted by brute force.
    let lineTotal = 0;
    let total = 0;
    for (let n = 1; n <= 1_000_000; n++) {
      const sevens = String(n).split('7').length - 1;
      if (sevens > 0) lineTotal++;
      total += sevens;
    }
    expect(common).toMatchObject({ total, lineTotal, hasMore: true, nextAfter: 73 });
    console.log(
      `1M lines: outline ${outlineMs.toFixed(0)} ms, rare search ${rareMs.toFixed(0)} ms, common ${commonMs.toFixed(0)} ms`,
    );
    expect(outlineMs).toBeLessThan(500);
    expect(rareMs).toBeLessThan(1000);
    expect(commonMs).toBeLessThan(1500);
  }, 90_000);
});
