import { expect, it } from 'vitest';
import type { JobBody } from '../../src/protocol/job-schemas.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, startExecution, waitForStatus } from './execution-api-client.js';
import { fuzzCases, unboundedInputs, type FuzzCase, type OpenApiDocument } from './openapi-fuzz-cases.js';

const startServer = useTestServers();

const SEED = 20_251_102;
/** A remote execution id (lower-case ULID) the fuzzer's remote routes use. */
const REMOTE_ID = '01hzzzzzzzzzzzzzzzzzzzzzzz';

interface Outcome {
  status: number;
  contentType: string;
  text: string;
}

/** Sends one case; a network error or a hang counts as a failure, like a 5xx. */
async function send(url: string, fuzz: FuzzCase): Promise<Outcome> {
  try {
    const response = await fetch(`${url}${fuzz.url}`, {
      method: fuzz.method,
      headers: fuzz.contentType ? { 'content-type': fuzz.contentType } : {},
      ...(fuzz.body !== undefined ? { body: fuzz.body } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      text: await response.text(),
    };
  } catch (error) {
    return { status: 599, contentType: '', text: `request failed: ${String(error)}` };
  }
}

/** Why an answer is wrong, or undefined when it is fine. */
function problemWith(fuzz: FuzzCase, outcome: Outcome): string | undefined {
  if (outcome.status >= 500) return `answered ${outcome.status}`;
  if (fuzz.mustBe400 && outcome.status !== 400) return `answered ${outcome.status}, not 400`;
  if (outcome.status >= 400) {
    if (!outcome.contentType.includes('application/json')) return `${outcome.status} without a JSON body`;
    const body = JSON.parse(outcome.text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code !== 'string' || typeof body.error.message !== 'string') {
      return `${outcome.status} without {"error":{"code","message"}}`;
    }
  }
  return undefined;
}

function remoteExecution(id: string) {
  const now = new Date().toISOString();
  return {
    id,
    name: 'fuzz remote',
    command: 'true',
    argv: null,
    cwd: '/',
    tags: {},
    status: 'running',
    exitCode: null,
    signal: null,
    error: null,
    createdAt: now,
    startedAt: now,
    endedAt: null,
    durationMs: null,
    timeoutSeconds: null,
    meta: {},
    // A pid that is no process of this host's: crash recovery never mistakes it for a live owner.
    owner: { host: 'fuzz-host.invalid', pid: 4_000_000, startTime: 1 },
    lineCount: 0,
    resources: null,
  };
}

it('documents a range for every input and answers every route without a 5xx, whatever it is sent, and keeps listing', async () => {
  const { url } = await startServer();
  // Real ids for the path parameters: a finished execution, a paused job, a remote execution.
  const execution = await startExecution(url, { command: 'true', name: 'fuzz seed' });
  await waitForStatus(url, execution.id);
  const job = await call<JobBody>(url, 'POST', '/api/jobs', {
    name: 'fuzz-seed',
    command: 'true',
    triggers: [{ intervalSeconds: 86_400 }],
    enabled: false,
  });
  expect(job.status).toBe(201);
  const remote = await call(url, 'POST', '/api/remote/executions', { execution: remoteExecution(REMOTE_ID) });
  expect(remote.status, remote.text).toBe(201);

  const doc = (await call<OpenApiDocument>(url, 'GET', '/docs/json')).body;
  // Every number, string and list a client can send has a documented range.
  expect(unboundedInputs(doc)).toEqual([]);
  let serial = 0;
  const cases = fuzzCases(doc, {
    seed: SEED,
    maxCasesPerOperation: 450,
    realIds: (path, param) => {
      if (param === 'artifactId') return '1';
      if (path.startsWith('/api/remote/')) return REMOTE_ID;
      return path.startsWith('/api/jobs/') ? job.body.id : execution.id;
    },
    // Whatever passes validation runs `true`, and jobs are created paused.
    seedBodies: {
      'POST /api/executions': { command: 'true', name: 'fuzz' },
      'POST /api/jobs': () => ({
        name: `fuzz-${++serial}`,
        command: 'true',
        triggers: [{ intervalSeconds: 86_400 }],
        enabled: false,
      }),
      'PATCH /api/jobs/{id}': { enabled: false },
      'POST /api/remote/executions': () => ({
        execution: remoteExecution(`01hzzzzzzzzzzzzzzzzz${String(++serial).padStart(6, '0')}`),
      }),
      // Answered at once: a claim otherwise waits for a run to be submitted.
      'POST /api/workers/claim': {
        worker: { name: 'fuzz-worker', host: 'h', labels: [], slots: 1, version: 'v' },
        waitSeconds: 0,
      },
      'POST /api/remote/executions/{id}/batches': {
        lines: [{ seq: 1, ts: Date.now(), stream: 'stdout', stepId: null, text: 'hi', flags: 0 }],
      },
    },
  });
  const operations = new Set(cases.map((c) => c.label.split(' ', 2).join(' ')));
  // Guards the generator: every documented route is exercised.
  expect(operations.size).toBe(
    Object.values(doc.paths).reduce((n, methods) => n + Object.keys(methods).length, 0),
  );

  const failures: string[] = [];
  for (const fuzz of cases) {
    const outcome = await send(url, fuzz);
    const problem = problemWith(fuzz, outcome);
    if (problem !== undefined) failures.push(`${fuzz.label}: ${problem}: ${outcome.text.slice(0, 200)}`);
  }

  // Every list route still answers, whatever was stored on the way (a search, given its text).
  const lists = Object.entries(doc.paths)
    .filter(([path, methods]) => methods.get !== undefined && !path.includes('{'))
    .map(([path, methods]) =>
      (methods.get?.parameters ?? []).some((p) => p.in === 'query' && p.name === 'q' && p.required)
        ? `${path}?q=fuzz`
        : path,
    );
  expect(lists).toContain('/api/jobs');
  for (const path of lists) {
    const response = await call(url, 'GET', path);
    if (response.status !== 200)
      failures.push(`afterwards GET ${path}: ${response.status} ${response.text.slice(0, 200)}`);
  }
  expect(failures.slice(0, 40), `${failures.length} of ${cases.length} cases failed`).toEqual([]);
}, 120_000);
