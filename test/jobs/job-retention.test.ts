import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBodyJson } from '../../src/protocol/api-schemas.js';
import type { JobBody } from '../../src/protocol/job-schemas.js';
import type { RetentionReportBody } from '../../src/protocol/retention-schemas.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { waitForStatus } from '../server/execution-api-client.js';
import { call, createJob, runsOf } from './jobs-client.js';

// A job's own retention policy (docs/RETENTION.md) on a real server whose global policy keeps one
// run per job: the job's replaces it whole, `{}` keeps everything, null goes back to the global one.
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: { retention: { keepLast: 1 } } });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

async function runThrice(job: JobBody): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const run = await call<{ id: string }>(server.url, 'POST', `/api/jobs/${job.id}/run`);
    expect(run.status).toBe(201);
    ids.push(run.body.id);
    await waitForStatus(server.url, run.body.id);
  }
  return ids;
}

const sweep = () => call<RetentionReportBody>(server.url, 'POST', '/api/health/retention/sweep');
const keptOf = async (job: JobBody) => (await runsOf(server.url, job.id)).map((run) => run.id);

describe("a job's own retention policy", () => {
  it('replaces the global policy for its runs; {} keeps them all; null goes back to the global one', async () => {
    const own = await createJob(server.url, {
      name: 'keeps-two',
      command: 'echo hi',
      triggers: [],
      retention: { keepLast: 2, logDays: 3 },
    });
    expect(own.retention).toEqual({ keepLast: 2, logDays: 3 });
    const forever = await createJob(server.url, {
      name: 'keeps-all',
      command: 'echo hi',
      triggers: [],
      retention: {},
    });
    expect(forever.retention).toEqual({});
    const global = await createJob(server.url, { name: 'global', command: 'echo hi', triggers: [] });
    expect(global.retention).toBeNull();

    const ownRuns = await runThrice(own);
    const foreverRuns = await runThrice(forever);
    const globalRuns = await runThrice(global);

    expect((await sweep()).body).toMatchObject({ runsDeleted: 1 + 2 });
    expect(await keptOf(own)).toEqual(ownRuns.slice(1));
    expect(await keptOf(forever)).toEqual(foreverRuns);
    expect(await keptOf(global)).toEqual(globalRuns.slice(2));

    // The policy survives an unrelated edit and is read back from the store.
    const edited = await call<JobBody>(server.url, 'PATCH', `/api/jobs/${own.id}`, {
      command: 'echo edited',
    });
    expect(edited.body.retention).toEqual({ keepLast: 2, logDays: 3 });
    expect((await call<JobBody>(server.url, 'GET', `/api/jobs/${own.id}`)).body.retention).toEqual({
      keepLast: 2,
      logDays: 3,
    });

    // null: the job follows the global policy again, from the next sweep on.
    const back = await call<JobBody>(server.url, 'PATCH', `/api/jobs/${own.id}`, { retention: null });
    expect(back.status).toBe(200);
    expect(back.body.retention).toBeNull();
    expect((await sweep()).body).toMatchObject({ runsDeleted: 1 });
    expect(await keptOf(own)).toEqual(ownRuns.slice(2));
  });

  let bad = 0;
  it.each([
    [{ keep_last: 3 }, 'body.retention', 'keep_last'],
    [{ days: -1 }, 'body.retention.days', ''],
    [{ keepLast: 0 }, 'body.retention.keepLast', ''],
    [{ keepLast: 2.5 }, 'body.retention.keepLast', ''],
    [{ logDays: 'soon' }, 'body.retention.logDays', ''],
  ])('refuses retention %j with a 400 naming the field', async (retention, field, named) => {
    bad += 1;
    const created = await call<ErrorBodyJson>(server.url, 'POST', '/api/jobs', {
      name: `bad-${bad}`,
      command: 'echo hi',
      triggers: [],
      retention,
    });
    expect(created.status).toBe(400);
    expect(created.body.error.code).toBe('validation_failed');
    expect(created.body.error.message).toContain(field);
    expect(created.body.error.message).toContain(named);
    const job = await createJob(server.url, {
      name: `ok-${bad}`,
      command: 'echo hi',
      triggers: [],
    });
    const patched = await call<ErrorBodyJson>(server.url, 'PATCH', `/api/jobs/${job.id}`, { retention });
    expect(patched.status).toBe(400);
    expect(patched.body.error.message).toContain(field);
  });
});
