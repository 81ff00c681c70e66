import { describe, expect, it } from 'vitest';
import type { RunningLate } from '../../src/core/jobs/job.js';
import { P95_MIN_LATE_MS } from '../../src/core/jobs/step-percentiles.js';
import type { WebhookPayload } from '../../src/notify/webhook-payload.js';
import type { ExecutionBody } from '../../src/protocol/api-schemas.js';
import type { JobBody } from '../../src/protocol/job-schemas.js';
import type { JobEvent } from '../../src/core/events.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, createJob, deliveriesOf, runsOf, uniqueName, waitFor } from './jobs-client.js';
import { useWebhookReceivers } from './webhook-receiver.js';

const startServer = useTestServers();
const startReceiver = useWebhookReceivers();
const tempDir = useTempDirs();

/** Counts its runs in its working directory: the step takes ~0.3 s three times, then ~3 s. */
const SLOWS_DOWN_ON_RUN_4 = [
  'n=$(( $(cat runs 2>/dev/null || echo 0) + 1 )); echo "$n" > runs',
  'echo STEP_START:Work',
  'if [ "$n" -le 3 ]; then sleep 0.3; else sleep 3; fi',
  'echo STEP_COMPLETE:Work',
].join('\n');

type StepLate = Extract<RunningLate, { reason: 'step-p95' }>;

async function runToSuccess(url: string, jobId: string, what: string): Promise<ExecutionBody> {
  const started = await call<ExecutionBody>(url, 'POST', `/api/jobs/${jobId}/run`);
  expect(started.status).toBe(201);
  return waitFor(
    async () => (await runsOf(url, jobId)).find((r) => r.id === started.body.id && r.status === 'succeeded'),
    what,
    20_000,
  );
}

describe('running late by step percentile', () => {
  it('warns once when a step passes the p95 of its recent runs (event + webhook); the slow run still succeeds', async () => {
    const receiver = await startReceiver();
    const server = await startServer();
    const lateEvents: Extract<JobEvent, { type: 'late.warning' }>[] = [];
    server.stepflow.bus.subscribe((event) => {
      if (event.type === 'late.warning') lateEvents.push(event);
    });
    const job = await createJob(server.url, {
      name: uniqueName('slowing'),
      command: SLOWS_DOWN_ON_RUN_4,
      cwd: tempDir(),
      triggers: [],
      lateByP95: true,
      webhooks: [{ url: receiver.url, events: ['running-late'] }],
    });
    expect(job.lateByP95).toBe(true);
    expect(job.lateAfterSeconds).toBeNull();

    // Three fast runs: until the third has ended there are fewer than 3 samples, so nothing is watched.
    for (const n of [1, 2, 3]) await runToSuccess(server.url, job.id, `fast run ${n}`);
    expect(lateEvents).toEqual([]);
    expect(receiver.calls).toEqual([]);

    const slow = await call<ExecutionBody>(server.url, 'POST', `/api/jobs/${job.id}/run`);
    await waitFor(async () => receiver.calls.length >= 1, 'the running-late call', 15_000);
    const payload = JSON.parse(receiver.calls[0]!.body) as WebhookPayload;
    expect(payload).toMatchObject({
      event: 'running-late',
      job: { id: job.id },
      execution: { id: slow.body.id, status: 'running', attempt: 1 },
      late: { reason: 'step-p95', step: { name: 'Work' }, samples: 3 },
    });
    const late = payload.late as StepLate;
    // The p95 of three ~0.3 s durations; the warning waits at least the floor.
    expect(late.p95Ms).toBeGreaterThanOrEqual(250);
    expect(late.p95Ms).toBeLessThan(2500);
    expect(late.elapsedMs).toBeGreaterThanOrEqual(Math.max(late.p95Ms, P95_MIN_LATE_MS) - 5);
    expect(receiver.calls[0]!.headers['x-stepflow-event']).toBe('running-late');
    expect(lateEvents).toEqual([
      { type: 'late.warning', jobId: job.id, executionId: slow.body.id, late: payload.late },
    ]);

    // Never a kill: the run ends on its own, and warned once only.
    const ended = await waitFor(
      async () =>
        (await runsOf(server.url, job.id)).find(
          (r) => r.id === slow.body.id && r.status !== 'running' && r.status !== 'queued',
        ),
      'the slow run to end',
      20_000,
    );
    expect(ended.status).toBe('succeeded');
    expect(ended.durationMs).toBeGreaterThanOrEqual(2900);
    expect(lateEvents).toHaveLength(1);
    const deliveries = await waitFor(async () => {
      const items = await deliveriesOf(server.url, job.id);
      return items.length > 0 && items;
    }, 'the delivery log');
    expect(deliveries.map((d) => [d.event, d.executionId, d.ok])).toEqual([
      ['running-late', slow.body.id, true],
    ]);
    expect(receiver.calls).toHaveLength(1);
  }, 90_000);

  it('is off by default, and a PATCH turns it on and off', async () => {
    const { url } = await startServer();
    const job = await createJob(url, { name: uniqueName('plain'), command: 'true', triggers: [] });
    expect(job.lateByP95).toBe(false);
    const on = await call<JobBody>(url, 'PATCH', `/api/jobs/${job.id}`, { lateByP95: true });
    expect(on.body.lateByP95).toBe(true);
    // A PATCH that does not name it keeps it.
    const renamed = await call<JobBody>(url, 'PATCH', `/api/jobs/${job.id}`, { name: uniqueName('renamed') });
    expect(renamed.body.lateByP95).toBe(true);
    expect((await call<JobBody>(url, 'GET', `/api/jobs/${job.id}`)).body.lateByP95).toBe(true);
    const off = await call<JobBody>(url, 'PATCH', `/api/jobs/${job.id}`, { lateByP95: false });
    expect(off.body.lateByP95).toBe(false);
  });
});
