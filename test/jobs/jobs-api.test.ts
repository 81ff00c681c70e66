import { describe, expect, it } from 'vitest';
import type { ErrorBodyJson } from '../../src/protocol/api-schemas.js';
import type { JobBody, JobListBody, SchedulePreviewBody } from '../../src/protocol/job-schemas.js';
import { useTestServers } from '../helpers/test-server.js';
import { waitForStatus } from '../server/execution-api-client.js';
import { call, createJob, uniqueName } from './jobs-client.js';

const startServer = useTestServers();

describe('jobs API', () => {
  it('creates a job from the minimum body: 201 with id, nextRunAt and the next five fire times', async () => {
    const { url } = await startServer();
    const job = await createJob(url, {
      name: 'backup',
      command: './backup.sh',
      triggers: [{ cron: '0 3 * * *', timezone: 'Asia/Shanghai' }],
    });
    expect(job.id).toMatch(/^[0-9a-z]{26}$/);
    expect(job).toMatchObject({
      name: 'backup',
      enabled: true,
      overlap: 'skip',
      missedFire: 'skip',
      lastRun: null,
    });
    // 03:00 in Shanghai is 19:00 UTC.
    expect(job.upcoming).toHaveLength(5);
    for (const time of job.upcoming) expect(time).toMatch(/T19:00:00\.000Z$/);
    expect(job.nextRunAt).toBe(job.upcoming[0]);
    expect(Date.parse(job.nextRunAt!)).toBeGreaterThan(Date.now());
    expect(job.triggers[0]).toMatchObject({ kind: 'cron', cron: '0 3 * * *', timezone: 'Asia/Shanghai' });

    const list = await call<JobListBody>(url, 'GET', '/api/jobs');
    expect(list.body.items.map((j) => j.name)).toEqual(['backup']);
    expect((await call<JobBody>(url, 'GET', `/api/jobs/${job.id}`)).body.nextRunAt).toBe(job.nextRunAt);
  });

  it('lists each job with its newest runs when asked (?recentRuns=N), in one request', async () => {
    const { url } = await startServer();
    const busy = await createJob(url, { name: 'busy', command: 'exit 0', triggers: [] });
    const idle = await createJob(url, { name: 'idle', command: 'true', triggers: [] });
    const started: string[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await call<{ id: string }>(url, 'POST', `/api/jobs/${busy.id}/run`);
      started.push(run.body.id);
      await waitForStatus(url, run.body.id);
    }

    const list = await call<JobListBody>(url, 'GET', '/api/jobs?recentRuns=2');
    expect(list.status).toBe(200);
    const [busyItem, idleItem] = ['busy', 'idle'].map((name) => list.body.items.find((j) => j.name === name));
    // The newest two, newest first, finished with a duration; a job without runs has none.
    expect(busyItem?.recentRuns?.map((run) => run.executionId)).toEqual([started[2], started[1]]);
    for (const run of busyItem?.recentRuns ?? []) {
      expect(run).toMatchObject({ status: 'succeeded', durationMs: expect.any(Number) });
    }
    expect(idleItem?.recentRuns).toEqual([]);
    expect(idle.id).toBe(idleItem?.id);
    // Without the parameter the list stays lean.
    expect((await call<JobListBody>(url, 'GET', '/api/jobs')).body.items[0]).not.toHaveProperty('recentRuns');

    for (const query of ['recentRuns=0', 'recentRuns=101', 'recentRuns=some', 'limit=5']) {
      const bad = await call<ErrorBodyJson>(url, 'GET', `/api/jobs?${query}`);
      expect(bad.status, query).toBe(400);
      expect(bad.body.error.message).toMatch(/recentRuns|limit/);
    }
  });

  it.each([
    [{ triggers: [{ cron: '61 * * * *', timezone: 'UTC' }] }, 'body.triggers.0.cron'],
    [{ triggers: [{ cron: '0 3 * * *', timezone: 'Asia/Atlantis' }] }, 'body.triggers.0.timezone'],
    [{ triggers: [{ intervalSeconds: 0.5 }] }, 'body.triggers.0.intervalSeconds'],
    [{ triggers: [{ at: '2001-01-01T00:00:00Z' }] }, 'body.triggers.0.at'],
    [{ triggers: [{}] }, 'body.triggers.0'],
    [{ triggers: [{ intervalSeconds: 5 }], overlap: 'never' }, 'body.overlap'],
    [{ triggers: [{ intervalSeconds: 5 }], cwd: '/no/such/dir' }, 'body.cwd'],
    [{ triggers: [{ intervalSeconds: 'soon' }] }, 'body.triggers.0.intervalSeconds'],
    [{ triggers: [{ intervalSeconds: 5 }], webhooks: [{ url: 'nope' }] }, 'body.webhooks.0.url'],
    [{ triggers: [], lateByP95: 'yes' }, 'body.lateByP95'],
  ])('answers 400 naming the field for %j', async (overrides, field) => {
    const { url } = await startServer();
    const response = await call<ErrorBodyJson>(url, 'POST', '/api/jobs', {
      name: uniqueName('bad'),
      command: 'true',
      ...overrides,
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
    expect(response.body.error.message).toContain(field);
  });

  it('answers 400 without a command, 409 for a name taken, 404 for an unknown job', async () => {
    const { url } = await startServer();
    const noCommand = await call<ErrorBodyJson>(url, 'POST', '/api/jobs', { name: 'x', triggers: [] });
    expect(noCommand.status).toBe(400);
    await createJob(url, { name: 'taken', command: 'true', triggers: [] });
    const taken = await call<ErrorBodyJson>(url, 'POST', '/api/jobs', {
      name: 'taken',
      command: 'true',
      triggers: [],
    });
    expect(taken.status).toBe(409);
    for (const [method, path] of [
      ['GET', '/api/jobs/nope'],
      ['DELETE', '/api/jobs/nope'],
      ['POST', '/api/jobs/nope/run'],
      ['POST', '/api/jobs/nope/pause'],
      ['GET', '/api/jobs/nope/deliveries'],
    ] as const) {
      expect((await call(url, method, path)).status).toBe(404);
    }
  });

  it('patches fields, keeps unchanged triggers, pauses and resumes, deletes', async () => {
    const { url } = await startServer();
    const job = await createJob(url, {
      name: 'patchable',
      command: 'true',
      env: { TOKEN: 'secret-value' },
      triggers: [{ intervalSeconds: 3600 }, { cron: '0 0 * * *' }],
      webhooks: [{ url: 'http://127.0.0.1:9/hook', secret: 'k', events: ['failure'] }],
    });
    expect(job.envNames).toEqual(['TOKEN']);
    expect(JSON.stringify(job)).not.toContain('secret-value');
    expect(job.webhooks[0]).toMatchObject({ signed: true, events: ['failure'] });
    expect(job.webhooks[0]).not.toHaveProperty('secret');

    const patched = await call<JobBody>(url, 'PATCH', `/api/jobs/${job.id}`, {
      argv: ['echo', 'hi'],
      triggers: [{ intervalSeconds: 3600 }, { intervalSeconds: 60 }],
      retry: { maxAttempts: 3 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      command: null,
      argv: ['echo', 'hi'],
      envNames: ['TOKEN'],
      retry: { maxAttempts: 3 },
    });
    expect(patched.body.triggers[0]!.id).toBe(job.triggers[0]!.id);
    expect(patched.body.triggers[1]!.id).not.toBe(job.triggers[1]!.id);
    expect(patched.body.webhooks[0]!.signed).toBe(true);

    // env given (here as NAME=value lines, as the form sends them) replaces the job's whole env.
    const replaced = await call<JobBody>(url, 'PATCH', `/api/jobs/${job.id}`, {
      env: ['REGION=eu', 'MODE=a=b'],
    });
    expect(replaced.body.envNames).toEqual(['REGION', 'MODE']);
    const bad = await call<{ error: { message: string } }>(url, 'PATCH', `/api/jobs/${job.id}`, {
      env: ['REGION'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/body\.env\.0 "REGION" is not NAME=value/);

    const paused = await call<JobBody>(url, 'POST', `/api/jobs/${job.id}/pause`);
    expect(paused.body).toMatchObject({ enabled: false, nextRunAt: null, upcoming: [] });
    const resumed = await call<JobBody>(url, 'POST', `/api/jobs/${job.id}/resume`);
    expect(resumed.body.enabled).toBe(true);
    expect(resumed.body.nextRunAt).not.toBeNull();

    expect((await call(url, 'DELETE', `/api/jobs/${job.id}`)).status).toBe(204);
    expect((await call(url, 'GET', `/api/jobs/${job.id}`)).status).toBe(404);
  });

  it('keeps runsOn (labels checked like a run’s, cwd a path on the worker) and retryOnLost', async () => {
    const { url } = await startServer();
    // No such directory here: with runsOn it is the worker's host that has it.
    const onWorker = '/srv/only-on-the-worker';
    const job = await createJob(url, {
      name: uniqueName('gpu'),
      command: 'true',
      cwd: onWorker,
      triggers: [],
      runsOn: ['linux', 'gpu', 'gpu'],
      retryOnLost: true,
    });
    expect(job).toMatchObject({ cwd: onWorker, runsOn: ['gpu', 'linux'], retryOnLost: true });
    const patched = await call<JobBody>(url, 'PATCH', `/api/jobs/${job.id}`, { retryOnLost: false });
    expect(patched.body).toMatchObject({ runsOn: ['gpu', 'linux'], retryOnLost: false });
    expect((await call<JobBody>(url, 'GET', `/api/jobs/${job.id}`)).body.runsOn).toEqual(['gpu', 'linux']);

    const refused = async (method: 'POST' | 'PATCH', path: string, body: object, text: RegExp) => {
      const response = await call<ErrorBodyJson>(url, method, path, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
      expect(response.body.error.message).toMatch(text);
    };
    const base = { name: uniqueName('bad'), command: 'true', triggers: [] };
    await refused('POST', '/api/jobs', { ...base, runsOn: ['has space'] }, /body\.runsOn.*is not a label/);
    await refused(
      'POST',
      '/api/jobs',
      { ...base, runsOn: ['gpu'], cwd: 'relative/dir' },
      /body\.cwd must be an absolute path/,
    );
    await refused('POST', '/api/jobs', { ...base, retryOnLost: 'yes' }, /retryOnLost/);
    // Without labels the server runs it, so the directory must exist here again.
    await refused('PATCH', `/api/jobs/${job.id}`, { runsOn: [] }, /body\.cwd.*only-on-the-worker/);
  });

  it('takes null as "none" for the nullable fields: never as 0, "" or [0]', async () => {
    const { url } = await startServer();
    const job = await createJob(url, {
      name: 'nulls',
      command: 'exit 3',
      triggers: [],
      retry: { maxAttempts: 2, onExitCodes: null },
      maxConcurrentRuns: null,
      lateAfterSeconds: null,
      webhooks: [{ url: 'http://127.0.0.1:9/hook', secret: null }],
    });
    // Retry on any exit code, no concurrency cap, no late warning, an unsigned webhook.
    expect(job.retry.onExitCodes).toBeNull();
    expect(job.maxConcurrentRuns).toBeNull();
    expect(job.lateAfterSeconds).toBeNull();
    expect(job.webhooks[0]?.signed).toBe(false);

    const patched = await call<JobBody>(url, 'PATCH', `/api/jobs/${job.id}`, {
      lateAfterSeconds: 60,
      retry: { maxAttempts: 2, onExitCodes: [3] },
    });
    expect(patched.body).toMatchObject({ lateAfterSeconds: 60, retry: { onExitCodes: [3] } });
    const cleared = await call<JobBody>(url, 'PATCH', `/api/jobs/${job.id}`, {
      lateAfterSeconds: null,
      retry: { maxAttempts: 2, onExitCodes: null },
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ lateAfterSeconds: null, retry: { onExitCodes: null } });
  });

  it('previews a schedule for the job form: validation and the next five fire times', async () => {
    const { url } = await startServer();
    const cron = await call<SchedulePreviewBody>(
      url,
      'GET',
      '/api/schedules/preview?cron=0%209%20*%20*%201-5&timezone=Europe/Berlin',
    );
    expect(cron.status).toBe(200);
    expect(cron.body.valid).toBe(true);
    expect(cron.body.nextRuns).toHaveLength(5);
    for (const time of cron.body.nextRuns) expect(new Date(time).getUTCDay()).toBeGreaterThanOrEqual(1);

    const interval = await call<SchedulePreviewBody>(url, 'GET', '/api/schedules/preview?intervalSeconds=90');
    const gaps = interval.body.nextRuns
      .slice(1)
      .map((t, i) => Date.parse(t) - Date.parse(interval.body.nextRuns[i]!));
    expect(gaps).toEqual([90_000, 90_000, 90_000, 90_000]);

    const bad = await call<SchedulePreviewBody>(url, 'GET', '/api/schedules/preview?cron=*%20*&timezone=UTC');
    expect(bad.status).toBe(200);
    expect(bad.body).toMatchObject({ valid: false, nextRuns: [], error: { field: 'query.cron' } });
    const zone = await call<SchedulePreviewBody>(
      url,
      'GET',
      '/api/schedules/preview?cron=*%20*%20*%20*%20*&timezone=Nowhere/City',
    );
    expect(zone.body.error?.field).toBe('query.timezone');
  });
});
