import fs from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionBody, ExecutionPageBody } from '../../src/protocol/api-schemas.js';
import { toExecutionDetailJson } from '../../src/protocol/execution-json.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import {
  call,
  FIXTURES,
  getExecution,
  isAlive,
  startExecution,
  waitFor,
  waitForStatus,
} from './execution-api-client.js';

const tempDir = useTempDirs();
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(settings: Parameters<typeof startTestServer>[0] = {}): Promise<string> {
  const started = await startTestServer(settings);
  servers.push(started);
  return started.url;
}

async function logText(url: string, id: string): Promise<string> {
  return (await call<string>(url, 'GET', `/api/executions/${id}/logs?format=text`)).body;
}

describe('POST /api/executions', () => {
  it('answers 201 at once while the script runs in the background, then shows it succeeded with its log', async () => {
    const url = await server();
    const startedAt = performance.now();
    const slow = await call<ExecutionBody>(url, 'POST', '/api/executions', { command: 'sleep 5' });
    // Well under the script's 5 s (the margin is for a loaded machine).
    expect(performance.now() - startedAt).toBeLessThan(2000);
    expect(slow.status).toBe(201);
    expect(slow.headers.get('location')).toBe(`/api/executions/${slow.body.id}`);
    expect(['queued', 'running']).toContain(slow.body.status);

    const quick = await startExecution(url, { command: 'echo hi' });
    const done = await waitForStatus(url, quick.id);
    expect(done).toMatchObject({ status: 'succeeded', exitCode: 0, command: 'echo hi', lineCount: 1 });
    expect(await logText(url, quick.id)).toBe('hi\n');
    expect((await getExecution(url, slow.body.id)).status).toBe('running');
  });

  it('runs an argv without a shell, in the given cwd, with env, name and tags (map or list)', async () => {
    const url = await server();
    const cwd = tempDir();
    const execution = await startExecution(url, {
      argv: ['sh', '-c', 'pwd; echo "$GREETING"; echo "$0"', '$not-expanded'],
      cwd,
      env: { GREETING: 'hello from env' },
      name: 'argv run',
      tags: ['team=core', 'nightly'],
    });
    expect(execution).toMatchObject({
      name: 'argv run',
      argv: ['sh', '-c', 'pwd; echo "$GREETING"; echo "$0"', '$not-expanded'],
      cwd,
      tags: { team: 'core', nightly: '' },
    });
    await waitForStatus(url, execution.id);
    expect(await logText(url, execution.id)).toBe(`${fs.realpathSync(cwd)}\nhello from env\n$not-expanded\n`);

    const mapped = await startExecution(url, { command: 'true', tags: { team: 'web' } });
    expect(mapped.tags).toEqual({ team: 'web' });

    // env as a list of NAME=value, as the dashboard's form sends it: the value is all after the first =.
    const listed = await startExecution(url, {
      command: 'echo "[$GREETING] [${EMPTY-unset}]"',
      env: ['GREETING=a=b c', 'EMPTY='],
    });
    await waitForStatus(url, listed.id);
    expect(await logText(url, listed.id)).toBe('[a=b c] []\n');
  });

  it('runs in the server’s working directory by default, and resolves a relative cwd against it', async () => {
    const url = await server();
    const byDefault = await startExecution(url, { command: 'pwd' });
    expect(byDefault.cwd).toBe(process.cwd());
    const relative = await startExecution(url, { command: 'pwd', cwd: 'test/fixtures' });
    expect(relative.cwd).toBe(path.join(process.cwd(), 'test/fixtures'));
  });

  it('ends a run that exceeds its timeout as timed_out', async () => {
    const url = await server();
    const execution = await startExecution(url, { command: 'sleep 30', timeout: 0.3 });
    expect(execution.timeoutSeconds).toBe(0.3);
    expect((await waitForStatus(url, execution.id)).status).toBe('timed_out');
  });

  it('rejects bad bodies with a 400 that names the problem', async () => {
    const url = await server();
    const file = path.join(tempDir(), 'a-file');
    fs.writeFileSync(file, '');
    const cases: [unknown, RegExp][] = [
      [{ command: 'true', bogus: 1 }, /unknown field "bogus"/],
      [{ command: 'true', env: { A: 'x' }, tags: { a: 'b' }, extra: true }, /"extra"/],
      [{}, /exactly one of "command".*"argv"/],
      [{ command: 'true', argv: ['true'] }, /exactly one of/],
      [{ command: 42 }, /body\.command must be string/],
      [{ command: '' }, /body\.command/],
      [{ argv: 'ls' }, /body\.argv must be array/],
      [{ argv: [] }, /body\.argv/],
      [{ argv: [''] }, /body\.argv must start with a program/],
      [{ argv: ['echo', 'a\u0000b'] }, /body\.argv\.1 must not contain a NUL/],
      [{ command: 'true', timeout: 0 }, /body\.timeout/],
      [{ command: 'true', timeout: '5' }, /body\.timeout must be number/],
      [{ command: 'true', env: { A: 1 } }, /body\.env must be a map of strings, or a list of "NAME=value"/],
      [{ command: 'true', env: { 'A=B': 'x' } }, /body\.env has an invalid variable name "A=B"/],
      [{ command: 'true', env: ['A=1', 'NOEQUALS'] }, /body\.env\.1 "NOEQUALS" is not NAME=value/],
      [{ command: 'true', env: ['=x'] }, /body\.env\.0 "=x" is not NAME=value/],
      [{ command: 'true', env: ['A=1', 'A=2'] }, /body\.env\.1 sets A a second time/],
      [{ command: 'true', env: [1] }, /body\.env/],
      [{ command: 'true', tags: 'team=core' }, /body\.tags must be a map of strings, or a list/],
      [{ command: 'true', tags: ['=x'] }, /body\.tags has an empty key/],
      [{ command: 'true', cwd: '/no/such/dir' }, /body\.cwd "\/no\/such\/dir": no such file or directory/],
      [{ command: 'true', cwd: file }, /body\.cwd .* is not a directory/],
      [{ command: 'true', name: '' }, /body\.name/],
      [[{ command: 'true' }], /body must be object/],
    ];
    for (const [body, message] of cases) {
      const response = await call<{ error: { code: string; message: string } }>(
        url,
        'POST',
        '/api/executions',
        body,
      );
      expect({ body, status: response.status, code: response.body.error.code }).toEqual({
        body,
        status: 400,
        code: 'validation_failed',
      });
      expect(response.body.error.message).toMatch(message);
    }
    const list = await call<ExecutionPageBody>(url, 'GET', '/api/executions');
    expect(list.body.items).toEqual([]);
  });

  it('answers 400 for malformed JSON, 415 for a non-JSON content type and 413 for an oversize body', async () => {
    const url = await server({ options: { bodyLimit: 1024 } });
    const post = (body: string, type: string) =>
      fetch(`${url}/api/executions`, { method: 'POST', headers: { 'content-type': type }, body });
    const malformed = await post('{"command": ', 'application/json');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { message: string } }).error.message).toMatch(/JSON/i);
    const plain = await post('echo hi', 'text/plain');
    expect(plain.status).toBe(415);
    expect(((await plain.json()) as { error: { code: string } }).error.code).toBe('unsupported_media_type');
    const big = await post(JSON.stringify({ command: `echo ${'x'.repeat(2000)}` }), 'application/json');
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('starts executions beyond MAX_CONCURRENT_TASKS as queued and runs them in order', async () => {
    const url = await server({ config: { maxConcurrent: 1 } });
    const first = await startExecution(url, { command: 'sleep 0.3; echo first' });
    const second = await startExecution(url, { command: 'echo second' });
    const third = await startExecution(url, { command: 'echo third' });
    expect([first.status, second.status, third.status]).toEqual(['running', 'queued', 'queued']);
    const ends = [];
    for (const { id } of [first, second, third]) ends.push(await waitForStatus(url, id));
    expect(ends.map((e) => e.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    const [a, b, c] = ends;
    expect(Date.parse(b!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(a!.endedAt!));
    expect(Date.parse(c!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(b!.endedAt!));
  });
});

describe('GET /api/executions', () => {
  async function seeded(): Promise<{ url: string; ids: string[] }> {
    const url = await server();
    const specs = [
      { command: 'true', name: 'Build web', tags: { team: 'web', env: 'prod' } },
      { command: 'exit 3', name: 'Deploy web', tags: { team: 'web' } },
      { command: 'true', name: 'Build Ünïcode', tags: ['team=core', 'nightly'] },
      { command: 'exit 1', name: 'Lint', tags: { team: 'core' } },
      { command: 'true', name: 'Test' },
    ];
    const ids: string[] = [];
    for (const spec of specs) {
      const { id } = await startExecution(url, spec);
      await waitForStatus(url, id);
      ids.push(id);
    }
    return { url, ids };
  }
  const list = async (url: string, query: string) => {
    const response = await call<ExecutionPageBody>(url, 'GET', `/api/executions${query}`);
    expect(response.status, response.text).toBe(200);
    return response.body;
  };

  it('lists newest first and pages with nextCursor until null, without gaps or repeats', async () => {
    const { url, ids } = await seeded();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ExecutionPageBody = await list(url, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by status (comma-separated or repeated), tag, text and creation time', async () => {
    const { url, ids } = await seeded();
    const names = async (query: string) => (await list(url, query)).items.map((e) => e.name);
    expect(await names('?status=failed')).toEqual(['Lint', 'Deploy web']);
    expect(await names('?status=failed,succeeded&limit=2')).toEqual(['Test', 'Lint']);
    expect(await names('?status=failed&status=running')).toEqual(['Lint', 'Deploy web']);
    expect(await names('?tag=team=web')).toEqual(['Deploy web', 'Build web']);
    expect(await names('?tag=team=web&tag=env')).toEqual(['Build web']);
    expect(await names('?tag=nightly')).toEqual(['Build Ünïcode']);
    expect(await names('?q=build')).toEqual(['Build Ünïcode', 'Build web']);
    expect(await names('?q=ÜNÏ')).toEqual(['Build Ünïcode']);
    const third = await getExecution(url, ids[2]!);
    expect(await names(`?since=${encodeURIComponent(third.createdAt)}`)).toEqual([
      'Test',
      'Lint',
      'Build Ünïcode',
    ]);
    expect(await names(`?until=${encodeURIComponent(third.createdAt)}&status=succeeded`)).toEqual([
      'Build Ünïcode',
      'Build web',
    ]);
    expect(await names('?since=2999-01-01')).toEqual([]);
  });

  it('rejects bad parameters with a 400 naming them', async () => {
    const url = await server();
    const cases: [string, RegExp][] = [
      ['?since=yesterday', /querystring\.since must be an ISO 8601 date-time/],
      ['?until=2024-13-45T99:00:00Z', /querystring\.until/],
      ['?cursor=not-a-cursor!', /cursor "not-a-cursor!" is not a cursor this server returned/],
      ['?cursor=Zm9v%3D', /is not a cursor this server returned/],
      ['?status=done', /querystring\.status: unknown status "done"/],
      ['?limit=0', /querystring\.limit/],
      ['?limit=501', /querystring\.limit/],
      ['?limit=ten', /querystring\.limit must be integer/],
      ['?tag==x', /tag filter "=x" has an empty key/],
      ['?statuss=failed', /unknown field "statuss"/],
    ];
    for (const [query, message] of cases) {
      const response = await call<{ error: { message: string } }>(url, 'GET', `/api/executions${query}`);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(response.body.error.message).toMatch(message);
    }
  });
});

describe('GET /api/executions/:id', () => {
  it('serves the `stepflow show --json` shape, resource peaks included', async () => {
    const started = await startTestServer();
    servers.push(started);
    const execution = await startExecution(started.url, {
      command: 'echo "STEP_START:Build"; echo "::warning file=a.ts,line=3::careful"; sleep 1.2; echo done',
    });
    const shown = await waitForStatus(started.url, execution.id);
    const stored = await started.stepflow.store.getExecution(execution.id);
    expect(shown).toEqual(JSON.parse(JSON.stringify(toExecutionDetailJson(stored!))));
    expect(shown.steps.map((s) => s.name)).toEqual(['Build']);
    expect(shown.annotations[0]).toMatchObject({ level: 'warning', file: 'a.ts', line: 3 });
    expect(shown.resources).toMatchObject({ processCountPeak: expect.any(Number) });

    const resources = await call<{ samples: { ts: number; memoryBytes: number }[] }>(
      started.url,
      'GET',
      `/api/executions/${execution.id}/resources`,
    );
    expect(resources.status).toBe(200);
    expect(resources.body.samples).toEqual(await started.stepflow.store.listResourceSamples(execution.id));
  });

  it('answers 404 for an unknown id, on every execution route', async () => {
    const url = await server();
    for (const [method, route] of [
      ['GET', '/api/executions/01unknown'],
      ['GET', '/api/executions/01unknown/resources'],
      ['GET', '/api/executions/01unknown/logs'],
      ['GET', '/api/executions/01unknown/logs?format=text'],
      ['GET', '/api/executions/01unknown/artifacts/1'],
      ['POST', '/api/executions/01unknown/cancel'],
      ['POST', '/api/executions/01unknown/rerun'],
      ['DELETE', '/api/executions/01unknown'],
    ] as const) {
      const response = await call<{ error: { code: string; message: string } }>(url, method, route);
      expect({ route: `${method} ${route}`, status: response.status }).toEqual({
        route: `${method} ${route}`,
        status: 404,
      });
      expect(response.body.error).toMatchObject({
        code: 'not_found',
        message: expect.stringContaining('01unknown'),
      });
    }
  });
});

describe('POST /api/executions/:id/cancel', () => {
  it('stops the whole process tree of a running execution (202), which ends cancelled', async () => {
    const url = await server();
    const execution = await startExecution(url, { argv: [path.join(FIXTURES, 'tree-then-sleep.sh')] });
    const pids = await waitFor(async () => {
      const text = await logText(url, execution.id);
      const child = /child (\d+)/.exec(text)?.[1];
      const main = /main (\d+)/.exec(text)?.[1];
      return child && main ? [Number(child), Number(main)] : undefined;
    }, 'the script to print its pids');
    expect(pids.every(isAlive)).toBe(true);

    const cancel = await call<ExecutionBody>(url, 'POST', `/api/executions/${execution.id}/cancel`);
    expect(cancel.status).toBe(202);
    expect(cancel.body).toMatchObject({ id: execution.id, status: 'running' });
    const ended = await waitForStatus(url, execution.id);
    expect(ended.status).toBe('cancelled');
    expect(pids.filter(isAlive)).toEqual([]);

    const again = await call<{ error: { code: string; message: string } }>(
      url,
      'POST',
      `/api/executions/${execution.id}/cancel`,
    );
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/already ended \(cancelled\)/),
    });
  });

  it('cancels a queued execution at once (200) and the queue moves on', async () => {
    const url = await server({ config: { maxConcurrent: 1 } });
    const blocker = await startExecution(url, { command: 'sleep 30' });
    const queued = await startExecution(url, { command: 'echo never' });
    const next = await startExecution(url, { command: 'echo next' });
    // As `curl -X POST -H 'content-type: application/json' …/cancel` sends it: a JSON type, no body.
    const cancel = await call<ExecutionBody>(url, 'POST', `/api/executions/${queued.id}/cancel`, undefined, {
      'content-type': 'application/json',
    });
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ id: queued.id, status: 'cancelled', startedAt: null });
    await call(url, 'POST', `/api/executions/${blocker.id}/cancel`);
    expect((await waitForStatus(url, next.id)).status).toBe('succeeded');
    expect(await logText(url, queued.id)).toBe('');
  });
});

describe('POST /api/executions/:id/cancel on a run of another process', () => {
  it('marks a run whose process has died interrupted at once (200), as crash recovery would', async () => {
    const dataDir = tempDir();
    const started = await startTestServer({ dataDir });
    servers.push(started);
    const { url } = started;
    const ends: string[] = [];
    started.stepflow.bus.subscribe((e) => {
      if (e.type === 'execution.finished') ends.push(`${e.executionId} ${e.execution.status}`);
    });
    // Written by a process that has since died: this pid with another start time.
    const store = await openSqliteStore({ dataDir });
    const orphan = await store.createExecution({
      spec: { command: 'sleep 60', cwd: dataDir },
      status: 'running',
      owner: { host: hostname(), pid: process.pid, startTime: 1 },
    });
    await store.close();

    const cancel = await call<ExecutionBody>(url, 'POST', `/api/executions/${orphan.id}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.body).toMatchObject({ id: orphan.id, status: 'interrupted' });
    expect(cancel.body.error).toMatch(/the process running it died \(pid \d+ on host /);
    expect(await getExecution(url, orphan.id)).toMatchObject({ status: 'interrupted' });
    // Published like any end, so live watchers (the dashboard, /ws) see it end.
    expect(ends).toEqual([`${orphan.id} interrupted`]);
  });
});

describe('POST /api/executions/:id/rerun', () => {
  it('starts a new execution from the same spec (201)', async () => {
    const url = await server();
    const cwd = tempDir();
    const original = await startExecution(url, {
      command: 'echo "$WHO in $(basename "$PWD")"',
      cwd,
      env: { WHO: 'me' },
      name: 'greet',
      tags: { kind: 'demo' },
    });
    await waitForStatus(url, original.id);
    const rerun = await call<ExecutionBody>(url, 'POST', `/api/executions/${original.id}/rerun`);
    expect(rerun.status).toBe(201);
    expect(rerun.body.id).not.toBe(original.id);
    expect(rerun.body).toMatchObject({
      name: 'greet',
      cwd,
      tags: { kind: 'demo' },
      command: original.command,
    });
    await waitForStatus(url, rerun.body.id);
    expect(await logText(url, rerun.body.id)).toBe(`me in ${path.basename(cwd)}\n`);
  });

  // Build passes, Test fails; the script prints what StepFlow told it to resume from.
  const PIPELINE = [
    'echo "resume=[${STEPFLOW_RESUME_FROM-unset}]"',
    'echo STEP_START:Build',
    'echo STEP_COMPLETE:Build',
    'echo STEP_START:Test',
    'exit 1',
  ].join('; ');
  const firstLine = async (url: string, id: string) => (await logText(url, id)).split('\n')[0];

  it('from a step: the script gets STEPFLOW_RESUME_FROM, and each re-run links to its direct parent', async () => {
    const url = await server();
    const original = await startExecution(url, { command: PIPELINE, name: 'pipeline' });
    expect(await waitForStatus(url, original.id)).toMatchObject({ status: 'failed', rerunOf: null });
    expect(await firstLine(url, original.id)).toBe('resume=[unset]');

    const resumed = await call<ExecutionBody>(url, 'POST', `/api/executions/${original.id}/rerun`, {
      fromStep: 'Test',
    });
    expect(resumed.status).toBe(201);
    expect(resumed.body).toMatchObject({ name: 'pipeline', rerunOf: original.id, resumeFrom: 'Test' });
    await waitForStatus(url, resumed.body.id);
    expect(await firstLine(url, resumed.body.id)).toBe('resume=[Test]');

    // A plain re-run of the re-run runs everything again, and points at the re-run, not the first run.
    const again = await call<ExecutionBody>(url, 'POST', `/api/executions/${resumed.body.id}/rerun`, {});
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ rerunOf: resumed.body.id, resumeFrom: null });
    await waitForStatus(url, again.body.id);
    expect(await firstLine(url, again.body.id)).toBe('resume=[unset]');
    expect(await getExecution(url, again.body.id)).toMatchObject({ rerunOf: resumed.body.id });

    // What the page lists as "re-run as": the direct re-runs only.
    const reruns = async (id: string) =>
      (await call<ExecutionPageBody>(url, 'GET', `/api/executions?rerunOf=${id}`)).body.items.map(
        (e) => e.id,
      );
    expect(await reruns(original.id)).toEqual([resumed.body.id]);
    expect(await reruns(resumed.body.id)).toEqual([again.body.id]);
    expect(await reruns(again.body.id)).toEqual([]);
  });

  it('refuses a step the run does not have (400 naming its steps) and unknown body fields (400), starting nothing', async () => {
    const url = await server();
    const original = await startExecution(url, { command: PIPELINE });
    await waitForStatus(url, original.id);
    const rerun = (body: unknown, headers?: Record<string, string>) =>
      call<{ error: { code: string; message: string } }>(
        url,
        'POST',
        `/api/executions/${original.id}/rerun`,
        body,
        headers,
      );

    const unknownStep = await rerun({ fromStep: 'Deploy' });
    expect(unknownStep.status).toBe(400);
    expect(unknownStep.body.error.code).toBe('validation_failed');
    expect(unknownStep.body.error.message).toBe(
      `fromStep "Deploy" is not a step of execution ${original.id} (its steps: "Build", "Test")`,
    );

    const typo = await rerun({ fromstep: 'Test' });
    expect(typo.status).toBe(400);
    expect(typo.body.error.code).toBe('validation_failed');
    expect(typo.body.error.message).toContain('fromstep');

    const extra = await rerun({ fromStep: 'Test', env: { A: '1' } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toContain('env');

    const wrongType = await rerun({ fromStep: 3 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toContain('fromStep');

    const asText = await call(url, 'POST', `/api/executions/${original.id}/rerun`, undefined, {
      'content-type': 'text/plain',
    });
    expect(asText.status).toBe(415);

    const listed = await call<ExecutionPageBody>(url, 'GET', '/api/executions');
    expect(listed.body.items.map((e) => e.id)).toEqual([original.id]);
  });
});

describe('DELETE /api/executions/:id', () => {
  it('refuses while running (409), then deletes the execution and its artifact files (204)', async () => {
    const started = await startTestServer();
    servers.push(started);
    const { url } = started;
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'out.txt'), 'kept');
    const execution = await startExecution(url, { command: 'echo ARTIFACT:out.txt; sleep 30', cwd });
    const artifactDir = path.join(started.dataDir, 'artifacts', execution.id);
    await waitFor(async () => fs.existsSync(artifactDir), 'the artifact copy');

    const refused = await call<{ error: { code: string; message: string } }>(
      url,
      'DELETE',
      `/api/executions/${execution.id}`,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/still queued or running; cancel it first/);

    await call(url, 'POST', `/api/executions/${execution.id}/cancel`);
    await waitForStatus(url, execution.id);
    const deleted = await fetch(`${url}/api/executions/${execution.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    expect(fs.existsSync(artifactDir)).toBe(false);
    expect((await call(url, 'GET', `/api/executions/${execution.id}`)).status).toBe(404);
    expect((await call(url, 'DELETE', `/api/executions/${execution.id}`)).status).toBe(404);
  });
});

describe('OpenAPI', () => {
  it('documents every execution route with its responses', async () => {
    const url = await server();
    const spec = (
      await call<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>(
        url,
        'GET',
        '/docs/json',
      )
    ).body;
    const expected: [string, string, string[]][] = [
      ['/api/executions', 'post', ['201', '400', '413', '415']],
      ['/api/executions', 'get', ['200', '400']],
      ['/api/executions/{id}', 'get', ['200', '404']],
      ['/api/executions/{id}', 'delete', ['204', '404', '409']],
      ['/api/executions/{id}/resources', 'get', ['200', '404']],
      ['/api/executions/{id}/cancel', 'post', ['200', '202', '404', '409']],
      ['/api/executions/{id}/rerun', 'post', ['201', '400', '404', '409', '415']],
      ['/api/executions/{id}/logs', 'get', ['200', '400', '404']],
      ['/api/executions/{id}/artifacts/{artifactId}', 'get', ['200', '206', '404', '416']],
    ];
    for (const [route, method, statuses] of expected) {
      const operation = spec.paths[route]?.[method];
      expect(operation, `${method} ${route}`).toBeDefined();
      expect(Object.keys(operation!.responses)).toEqual(expect.arrayContaining(statuses));
    }
  });
});
