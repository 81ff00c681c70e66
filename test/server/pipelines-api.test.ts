import fs from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isStepflowError } from '../../src/core/errors.js';
import { parsePipelineYaml } from '../../src/core/pipelines/parse-pipeline-yaml.js';
import { ROOT } from '../helpers/run-cli.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * Pipeline files over real HTTP (docs/PIPELINES.md): the JSON Schema served for editors and kept
 * equal to the parser on the docs' examples and on bad files; validation with line and column;
 * saved pipelines' CRUD for an operator, reads only for a viewer; the audit entries. One server.
 */
const PASSWORD = 'correct horse battery';
let server: TestServer;
let operator: Record<string, string>;
let viewer: Record<string, string>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function call(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: Json; type: string }> {
  const response = await fetch(`${server.url}${url}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : JSON.parse(text),
    type: response.headers.get('content-type') ?? '',
  };
}

async function signIn(name: string): Promise<Record<string, string>> {
  const login = await fetch(`${server.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: PASSWORD }),
  });
  expect(login.status, `sign-in of ${name}`).toBe(200);
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  return {
    cookie: (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
    'x-stepflow-csrf': csrfToken,
  };
}

afterAll(async () => server?.close());
beforeAll(async () => {
  server = await startTestServer();
  await server.stepflow.app.users.add({ name: 'olga', role: 'operator', password: PASSWORD });
  await server.stepflow.app.users.add({ name: 'vic', role: 'viewer', password: PASSWORD });
  operator = await signIn('olga');
  viewer = await signIn('vic');
});

const EXAMPLE = `name: nightly-train
env: { DATASET: s3://bucket/day }
nodes:
  fetch:    { run: ./fetch.sh }
  prep-a:   { run: python3 prep.py a, needs: [fetch] }
  prep-b:   { run: python3 prep.py b, needs: [fetch], retry: { max: 2 } }
  train:    { run: python3 train.py, needs: [prep-a, prep-b], timeout: 3600, runsOn: [gpu] }
  report:   { run: ./report.sh, needs: [train], if: always }
`;

/** Every ```yaml block of docs/PIPELINES.md that is a whole file (starts with `name:`). */
function docsExamples(): string[] {
  const text = fs.readFileSync(path.join(ROOT, 'docs/PIPELINES.md'), 'utf8');
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((match) => match[1] ?? '')
    .filter((block) => block.startsWith('name:'));
}

/** Files both the schema and the parser must refuse: one mistake each. */
const BAD_FILES = [
  'nodes: { a: { run: x } }\n',
  'name: x\nnodes: {}\n',
  'name: x\nnodse: { a: { run: x } }\nnodes: { a: { run: x } }\n',
  'name: x\nnodes: { a: { run: x, need: [b] } }\n',
  'name: x\nnodes: { a: { run: x, argv: [x] } }\n',
  'name: x\nnodes: { a: { cwd: /tmp } }\n',
  'name: x\nnodes: { "a b": { run: x } }\n',
  'name: "a b"\nnodes: { a: { run: x } }\n',
  'name: x\nnodes: { a: { run: x, if: maybe } }\n',
  'name: x\nnodes: { a: { run: x, timeout: 0 } }\n',
  'name: x\nnodes: { a: { run: x, retry: { max: 1, backoff: 2 } } }\n',
  'name: x\nnodes: { a: { run: x, retry: 1.5 } }\n',
  'name: x\nnodes: { a: { run: x, continueOnError: "yes" } }\n',
  'name: x\nnodes: { a: { run: x, runsOn: ["no spaces"] } }\n',
  'name: x\nnodes: { a: { argv: [] } }\n',
  'name: x\nconcurrency: 0\nnodes: { a: { run: x } }\n',
  'name: x\nenv: { 1X: y }\nnodes: { a: { run: x } }\n',
];

const parserAccepts = (text: string): boolean => {
  try {
    parsePipelineYaml(text);
    return true;
  } catch (error) {
    if (isStepflowError(error)) return false;
    throw error;
  }
};

describe('pipelines API', () => {
  it('serves the JSON Schema, which agrees with the parser on the docs examples and on bad files', async () => {
    const served = await call('GET', '/api/pipelines/schema', viewer);
    expect(served.status).toBe(200);
    expect(served.type).toMatch(/^application\/schema\+json/);
    const validate = new Ajv({
      allErrors: true,
      strict: true,
      allowUnionTypes: true,
      strictRequired: false,
    }).compile(served.body);
    const examples = docsExamples();
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const example of [EXAMPLE, ...examples]) {
      expect(validate(parse(example)), `schema on\n${example}\n${JSON.stringify(validate.errors)}`).toBe(
        true,
      );
      expect(parserAccepts(example), example).toBe(true);
    }
    for (const bad of BAD_FILES) {
      expect(validate(parse(bad)), `schema on\n${bad}`).toBe(false);
      expect(parserAccepts(bad), bad).toBe(false);
    }
  });

  it('validates a file: its figures, or 400 naming each problem with line and column', async () => {
    expect(await call('POST', '/api/pipelines/validate', viewer, { yaml: EXAMPLE })).toMatchObject({
      status: 200,
      body: { ok: true, name: 'nightly-train', nodes: 5, levels: 4 },
    });
    const refused = await call('POST', '/api/pipelines/validate', viewer, {
      yaml: 'name: x\nnodes:\n  a: { run: a, needs: [b] }\n  b: { run: b, needs: [a, zz] }\n',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('validation_failed');
    expect(refused.body.error.details.problems).toEqual([
      { path: 'nodes.b.needs[0]', line: 4, column: 24, message: 'nodes.b.needs[0]: cycle: a → b → a' },
      { path: 'nodes.b.needs[1]', line: 4, column: 27, message: 'nodes.b.needs[1]: unknown node `zz`' },
    ]);
    expect(refused.body.error.message).toContain('line 4, column 24');

    const extra = await call('POST', '/api/pipelines/validate', viewer, { yaml: EXAMPLE, file: 'x.yml' });
    expect(extra).toMatchObject({ status: 400, body: { error: { message: 'body: unknown field "file"' } } });
    expect((await call('POST', '/api/pipelines/validate', viewer, {})).status).toBe(400);
    expect((await call('POST', '/api/pipelines/validate', viewer, { yaml: 42 })).body.error.message).toMatch(
      /body\.yaml/,
    );
  });

  it('saves, lists, shows, replaces and deletes pipelines for an operator; the text kept as given', async () => {
    const yaml = `# nightly, commented\n${EXAMPLE}`;
    const created = await call('POST', '/api/pipelines', operator, { yaml });
    expect(created).toMatchObject({
      status: 201,
      body: { name: 'nightly-train', yaml, nodes: 5, levels: 4 },
    });
    expect((await call('POST', '/api/pipelines', operator, { yaml })).status).toBe(409);

    const second = 'name: alpha\nnodes:\n  only: { argv: ["true"] }\n';
    expect((await call('PUT', '/api/pipelines/alpha', operator, { yaml: second })).status).toBe(201);
    const listed = await call('GET', '/api/pipelines', viewer);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item: Json) => [item.name, item.nodes, item.levels])).toEqual([
      ['alpha', 1, 1],
      ['nightly-train', 5, 4],
    ]);
    expect(listed.body.items[0].yaml).toBeUndefined();
    expect((await call('GET', '/api/pipelines/nightly-train', viewer)).body.yaml).toBe(yaml);

    const replaced = await call('PUT', '/api/pipelines/alpha', operator, {
      yaml: second.replace('only: { argv: ["true"] }', 'one: { run: x }\n  two: { run: y, needs: one }'),
    });
    expect(replaced).toMatchObject({ status: 200, body: { name: 'alpha', nodes: 2, levels: 2 } });
    expect(replaced.body.createdAt).toBe(listed.body.items[0].createdAt);

    const renamed = await call('PUT', '/api/pipelines/beta', operator, { yaml: second });
    expect(renamed.status).toBe(400);
    expect(renamed.body.error.message).toContain('"alpha", not "beta"');
    const reserved = await call('POST', '/api/pipelines', operator, {
      yaml: second.replace('alpha', 'runs'),
    });
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.message).toContain('cannot be saved as "runs"');
    const invalid = await call('POST', '/api/pipelines', operator, {
      yaml: 'name: gamma\nnodes:\n  a: { rn: x }\n',
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details.problems).toMatchObject(
      [
        { line: 3, column: 8, message: 'nodes.a.rn: unknown key `rn` (did you mean `run`?)' },
        { line: 3, column: 3, message: 'nodes.a: needs `run` (a shell command) or `argv` (a list)' },
      ].sort((a, b) => a.column - b.column),
    );
    expect((await call('POST', '/api/pipelines', operator, { yaml: second, name: 'x' })).status).toBe(400);
    expect((await call('GET', '/api/pipelines/gamma', viewer)).status).toBe(404);
    expect((await call('GET', '/api/pipelines/bad%20name', viewer)).status).toBe(400);

    expect((await call('DELETE', '/api/pipelines/alpha', operator)).status).toBe(204);
    expect((await call('DELETE', '/api/pipelines/alpha', operator)).status).toBe(404);
    expect((await call('GET', '/api/pipelines/alpha', viewer)).status).toBe(404);

    const { entries } = await server.stepflow.app.audit.list({ actor: 'olga' }, { limit: 50 });
    const okSaves = entries
      .filter((entry) => entry.outcome === 'ok' && entry.action.startsWith('pipeline.'))
      .map((entry) => `${entry.action} ${entry.objectId}`)
      .reverse();
    expect(okSaves).toEqual([
      'pipeline.create nightly-train',
      'pipeline.update alpha',
      'pipeline.update alpha',
      'pipeline.delete alpha',
    ]);
  });

  it('lets a viewer read and validate, never save, replace or delete', async () => {
    const yaml = 'name: viewers-try\nnodes:\n  a: { run: x }\n';
    for (const [method, url, body] of [
      ['POST', '/api/pipelines', { yaml }],
      ['PUT', '/api/pipelines/viewers-try', { yaml }],
      ['DELETE', '/api/pipelines/nightly-train', undefined],
    ] as const) {
      const refused = await call(method, url, viewer, body);
      expect(refused.status, `${method} ${url}`).toBe(403);
      expect(refused.body.error.code).toBe('forbidden');
    }
    expect((await call('GET', '/api/pipelines/viewers-try', viewer)).status).toBe(404);
    expect((await call('GET', '/api/pipelines/nightly-train', viewer)).status).toBe(200);
  });

  it('starts a run of a saved pipeline by its name; exactly one of yaml and pipeline; an unknown name is a 404', async () => {
    const yaml =
      'name: saved-run\nnodes:\n  first: { run: "echo one" }\n  second: { run: "echo two", needs: [first] }\n';
    expect((await call('POST', '/api/pipelines', operator, { yaml })).status).toBe(201);
    const started = await call('POST', '/api/pipelines/runs', operator, { pipeline: 'saved-run' });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({
      name: 'saved-run',
      nodes: [
        { name: 'first', needs: [], level: 0 },
        { name: 'second', needs: ['first'], level: 1 },
      ],
    });
    const neither = await call('POST', '/api/pipelines/runs', operator, {});
    const both = await call('POST', '/api/pipelines/runs', operator, { yaml, pipeline: 'saved-run' });
    for (const refused of [neither, both]) {
      expect(refused.status).toBe(400);
      expect(refused.body.error.message).toContain('exactly one of "yaml"');
    }
    const unknown = await call('POST', '/api/pipelines/runs', operator, { pipeline: 'no-such' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });
});
