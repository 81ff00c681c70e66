import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogPageBody } from '../../src/protocol/api-schemas.js';
import { countLogFollowers } from '../../src/server/routes/log-text-stream.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { call, FIXTURES, startExecution, waitFor, waitForStatus } from './execution-api-client.js';

const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(): Promise<string> {
  const started = await startTestServer();
  servers.push(started);
  return started.url;
}

async function finished(url: string, body: Record<string, unknown>): Promise<string> {
  const { id } = await startExecution(url, body);
  await waitForStatus(url, id);
  return id;
}

const logs = async (url: string, id: string, query = '') => {
  const response = await call<LogPageBody>(url, 'GET', `/api/executions/${id}/logs${query}`);
  expect(response.status, response.text).toBe(200);
  return response.body;
};

describe('GET /api/executions/:id/logs (JSON)', () => {
  it('pages with after/limit through every line exactly once', async () => {
    const url = await server();
    const id = await finished(url, { command: 'for i in $(seq 1 25); do echo "n$i"; done' });
    const texts: string[] = [];
    let after = 0;
    for (;;) {
      const page = await logs(url, id, `?after=${after}&limit=10`);
      texts.push(...page.lines.map((l) => l.text));
      after = page.nextAfter;
      if (!page.hasMore) break;
    }
    expect(texts).toEqual(Array.from({ length: 25 }, (_, i) => `n${i + 1}`));
    expect(await logs(url, id, `?after=25`)).toEqual({ lines: [], nextAfter: 25, hasMore: false });
  });

  it('gives seq, ts, stream and step of each line, flags only when set, and filters by step, stream and text', async () => {
    const url = await server();
    const id = await finished(url, {
      // Two pipes have no common order: the pauses let each line be read before the next is written,
      // with room for a loaded machine (0.2 s was not enough under a load average of 8).
      command:
        'echo before; echo STEP_START:One; echo out-1; sleep 0.5; echo err-1 >&2; sleep 1; echo STEP_START:Two; echo out-2',
    });
    const all = await logs(url, id);
    expect(all.lines.map((l) => [l.seq, l.stream, l.stepId, l.text, l.flags])).toEqual([
      [1, 'stdout', 1, 'before', undefined],
      [2, 'stdout', 2, 'STEP_START:One', 1],
      [3, 'stdout', 2, 'out-1', undefined],
      [4, 'stderr', 2, 'err-1', undefined],
      [5, 'stdout', 3, 'STEP_START:Two', 1],
      [6, 'stdout', 3, 'out-2', undefined],
    ]);
    expect(all.lines.every((l) => typeof l.ts === 'number' && l.ts > 0)).toBe(true);
    expect((await logs(url, id, '?step=2')).lines.map((l) => l.text)).toEqual([
      'STEP_START:One',
      'out-1',
      'err-1',
    ]);
    expect((await logs(url, id, '?stream=stderr')).lines.map((l) => l.text)).toEqual(['err-1']);
    expect((await logs(url, id, '?q=out-')).lines.map((l) => l.seq)).toEqual([3, 6]);
    expect((await logs(url, id, '?step=3&q=out')).lines.map((l) => l.text)).toEqual(['out-2']);
  });

  it('rejects bad parameters with a 400 naming them', async () => {
    const url = await server();
    const id = await finished(url, { command: 'echo x' });
    for (const [query, message] of [
      ['?after=-1', /querystring\.after/],
      ['?after=abc', /querystring\.after must be integer/],
      ['?limit=0', /querystring\.limit/],
      ['?limit=10001', /querystring\.limit/],
      ['?step=first', /querystring\.step must be integer/],
      ['?stream=stdin', /querystring\.stream/],
      ['?format=html', /querystring\.format/],
      ['?follow=1', /follow needs format=text/],
      ['?format=text&limit=5', /limit applies to format=json only/],
      ['?tail=1', /unknown field "tail"/],
    ] as const) {
      const response = await call<{ error: { message: string } }>(
        url,
        'GET',
        `/api/executions/${id}/logs${query}`,
      );
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(response.body.error.message).toMatch(message);
    }
  });
});

describe('GET /api/executions/:id/logs?format=text', () => {
  it('returns the raw log as text/plain, joining the pieces of an over-long line without a newline', async () => {
    const url = await server();
    const id = await finished(url, {
      command: `echo first; python3 -c 'print("x" * 70000)'; echo "STEP_START:S"; echo last >&2`,
    });
    const response = await fetch(`${url}/api/executions/${id}/logs?format=text`);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await response.text()).toBe(`first\n${'x'.repeat(70000)}\nSTEP_START:S\nlast\n`);
    const pieces = await logs(url, id, '?after=1&limit=2');
    expect(pieces.lines.map((l) => l.flags)).toEqual([2, undefined]);

    const stepOnly = await fetch(`${url}/api/executions/${id}/logs?format=text&step=2&stream=stderr`);
    expect(await stepOnly.text()).toBe('last\n');
    const afterTwo = await fetch(`${url}/api/executions/${id}/logs?format=text&after=3`);
    expect(await afterTwo.text()).toBe('STEP_START:S\nlast\n');
  });

  it('streams a long log page by page, every line once and in order', async () => {
    const url = await server();
    const id = await finished(url, { command: 'seq 1 30000' });
    const text = await (await fetch(`${url}/api/executions/${id}/logs?format=text`)).text();
    expect(text).toBe(`${Array.from({ length: 30000 }, (_, i) => i + 1).join('\n')}\n`);
  });

  it('with follow=1 delivers lines while the script prints them and ends when the run ends', async () => {
    const url = await server();
    const { id } = await startExecution(url, {
      argv: [path.join(FIXTURES, 'numbered-lines.sh'), '6', '0.25'],
    });
    const response = await fetch(`${url}/api/executions/${id}/logs?format=text&follow=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    const arrivals: { text: string; running: boolean }[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = decoder.decode(value, { stream: true });
      received += chunk;
      const status = (await call<{ status: string }>(url, 'GET', `/api/executions/${id}`)).body.status;
      arrivals.push({ text: chunk, running: status === 'running' });
    }
    expect(received).toBe('line 1\nline 2\nline 3\nline 4\nline 5\nline 6\n');
    // Live: lines arrived in several pieces, most of them while the script was still running.
    expect(arrivals.filter((a) => a.running).length).toBeGreaterThanOrEqual(3);
    expect((await waitForStatus(url, id)).status).toBe('succeeded');
  });

  it('with follow=1 on a fast producer gets every line exactly once, in order', async () => {
    const url = await server();
    const { id } = await startExecution(url, {
      command: 'seq 1 20000; sleep 0.3; seq 20001 40000; sleep 0.3; echo end',
    });
    const text = await (await fetch(`${url}/api/executions/${id}/logs?format=text&follow=1`)).text();
    expect(text).toBe(`${Array.from({ length: 40000 }, (_, i) => i + 1).join('\n')}\nend\n`);
  });

  it('with follow=1 on an ended execution sends the log and ends at once', async () => {
    const url = await server();
    const id = await finished(url, { command: 'echo done' });
    const started = Date.now();
    expect(await (await fetch(`${url}/api/executions/${id}/logs?format=text&follow=true`)).text()).toBe(
      'done\n',
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('stops following when the client disconnects', async () => {
    const url = await server();
    const before = countLogFollowers();
    const { id } = await startExecution(url, { command: 'echo waiting; sleep 30' });
    // node:http rather than fetch: hanging up is exactly what curl does on Ctrl-C.
    const request = http.get(`${url}/api/executions/${id}/logs?format=text&follow=1`);
    const response = await new Promise<http.IncomingMessage>((resolve) => request.once('response', resolve));
    const first = await new Promise<string>((resolve) =>
      response.once('data', (chunk: Buffer) => resolve(String(chunk))),
    );
    expect(first).toBe('waiting\n');
    expect(countLogFollowers()).toBe(before + 1);
    request.destroy();
    await waitFor(async () => countLogFollowers() === before, 'the follower to stop', 3000);
    await call(url, 'POST', `/api/executions/${id}/cancel`);
  });

  it('answers HEAD with headers only, even when following', async () => {
    const url = await server();
    const { id } = await startExecution(url, { command: 'echo x; sleep 30' });
    const before = countLogFollowers();
    const head = await fetch(`${url}/api/executions/${id}/logs?format=text&follow=1`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(countLogFollowers()).toBe(before);
    await call(url, 'POST', `/api/executions/${id}/cancel`);
  });
});
