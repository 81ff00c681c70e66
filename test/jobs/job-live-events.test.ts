import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionBody } from '../../src/protocol/api-schemas.js';
import type { JobBody } from '../../src/protocol/job-schemas.js';
import type { JobChange, LiveServerMessage } from '../../src/protocol/live-messages.js';
import { LiveTestClient, startLiveServer, type LiveServer } from '../server/live-test-kit.js';
import { call, createJob, uniqueName } from './jobs-client.js';

const servers: LiveServer[] = [];
const clients: LiveTestClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.ws.terminate();
  for (const server of servers.splice(0)) await server.close();
});

async function setup(): Promise<{ server: LiveServer; client: LiveTestClient }> {
  const server = await startLiveServer();
  servers.push(server);
  const client = await LiveTestClient.connect(server.wsUrl);
  clients.push(client);
  return { server, client };
}

/** A change of the `jobs` topic about `jobId` matching `kind` (and `extra`), received or to come. */
function onJobs(client: LiveTestClient, jobId: string, kind: JobChange['change'], timeoutMs = 20_000) {
  const matches = (c: JobChange) => c.jobId === jobId && c.change === kind;
  return client
    .find((m) => m.type === 'jobs' && m.changes.some(matches), timeoutMs)
    .then((m) => (m.type === 'jobs' ? m.changes.find(matches) : undefined));
}

/** A JobActivityMessage on `execution:<executionId>`, received or to come. */
function onExecution(
  client: LiveTestClient,
  executionId: string,
  kind: JobChange['change'],
  timeoutMs = 20_000,
): Promise<LiveServerMessage> {
  return client.find(
    (m) => m.type === 'job' && m.executionId === executionId && m.change.change === kind,
    timeoutMs,
  );
}

describe('job activity on the live WebSocket', () => {
  it('sends a fire skipped by the overlap policy to the jobs topic, with the reason', async () => {
    const { server, client } = await setup();
    await client.subscribe('jobs');
    const job = await createJob(server.url, {
      name: uniqueName('overlapping'),
      command: 'sleep 3',
      cwd: server.dir,
      overlap: 'skip',
      triggers: [{ cron: '*/1 * * * * *' }],
    });

    const started = await onJobs(client, job.id, 'fire.started');
    const skipped = await onJobs(client, job.id, 'fire.skipped');
    expect(skipped).toEqual({
      change: 'fire.skipped',
      jobId: job.id,
      fireTime: expect.stringMatching(/:\d\d\.000Z$/),
      reason: 'the previous run is still going (overlap: skip)',
    });
    expect(Date.parse(skipped!.change === 'fire.skipped' ? skipped!.fireTime : '')).toBeGreaterThan(
      Date.parse(started!.change === 'fire.started' ? started!.fireTime : ''),
    );
    expect((await call(server.url, 'POST', `/api/jobs/${job.id}/pause`)).status).toBe(200);
  });

  it('sends a late run and its planned retry to the jobs topic and to the run’s own topic; REST lists the retry while it waits', async () => {
    const { server, client } = await setup();
    await client.subscribe('jobs');
    // Late after 1 s while it sleeps 3 s; then it fails and is retried 3 s later, once.
    const job = await createJob(server.url, {
      name: uniqueName('late-and-flaky'),
      command: 'sleep 3; exit 3',
      cwd: server.dir,
      triggers: [],
      lateAfterSeconds: 1,
      retry: { maxAttempts: 2, delaySeconds: 3 },
    });
    const run = await call<ExecutionBody>(server.url, 'POST', `/api/jobs/${job.id}/run`);
    expect(run.status).toBe(201);
    const first = run.body.id;
    const topic = `execution:${first}`;
    expect(await client.subscribe(topic)).toMatchObject({ type: 'subscribed', topic });

    const late = await onExecution(client, first, 'late.warning');
    expect(late).toEqual({
      type: 'job',
      executionId: first,
      change: {
        change: 'late.warning',
        jobId: job.id,
        executionId: first,
        late: { reason: 'threshold', lateAfterSeconds: 1 },
      },
    });
    expect(await onJobs(client, job.id, 'late.warning')).toEqual(late.type === 'job' && late.change);

    const planned = await onExecution(client, first, 'retry.planned');
    expect(planned).toEqual({
      type: 'job',
      executionId: first,
      change: {
        change: 'retry.planned',
        jobId: job.id,
        executionId: first,
        attempt: 2,
        at: expect.any(String),
      },
    });
    expect(await onJobs(client, job.id, 'retry.planned')).toEqual(planned.type === 'job' && planned.change);
    // Planned after the failed attempt ended, 3 s later.
    const ended = (await call<ExecutionBody>(server.url, 'GET', `/api/executions/${first}`)).body;
    const at = Date.parse(
      planned.type === 'job' && planned.change.change === 'retry.planned' ? planned.change.at : '',
    );
    expect(at - Date.parse(ended.endedAt!)).toBeGreaterThanOrEqual(2_900);
    expect(at - Date.parse(ended.endedAt!)).toBeLessThan(6_000);
    // A page loaded while the retry waits learns of it from REST: the same retry, the same time.
    const waiting = await call<JobBody>(server.url, 'GET', `/api/jobs/${job.id}`);
    expect(waiting.body.pendingRetries).toEqual([
      { retryOfId: first, attempt: 2, at: new Date(at).toISOString() },
    ]);

    const retried = await onJobs(client, job.id, 'retry.started');
    expect(retried).toEqual({
      change: 'retry.started',
      jobId: job.id,
      executionId: expect.any(String),
      retryOfId: first,
      attempt: 2,
    });
    // The order a watcher relies on: late, then planned, then started.
    const order = (kind: string) =>
      client.messages.findIndex((m) => m.type === 'jobs' && m.changes.some((c) => c.change === kind));
    expect(order('late.warning')).toBeLessThan(order('retry.planned'));
    expect(order('retry.planned')).toBeLessThan(order('retry.started'));
    // Started: no longer waiting.
    const after = await call<JobBody>(server.url, 'GET', `/api/jobs/${job.id}`);
    expect(after.body.pendingRetries).toEqual([]);
  });
});
