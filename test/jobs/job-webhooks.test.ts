import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { WebhookPayload } from '../../src/notify/webhook-payload.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, createJob, deliveriesOf, runsOf, uniqueName, waitFor } from './jobs-client.js';
import { useWebhookReceivers } from './webhook-receiver.js';

const startServer = useTestServers();
const tempDir = useTempDirs();
const startReceiver = useWebhookReceivers();

describe('webhooks', () => {
  it('delivers a failure to a receiver that fails twice then succeeds: signed, retried with backoff, logged', async () => {
    const receiver = await startReceiver([500, 503]);
    const { url } = await startServer();
    const job = await createJob(url, {
      name: uniqueName('nightly'),
      command:
        'echo "::add-mask::hunter2"; echo STEP_START:Deploy; echo "password hunter2"; echo boom; exit 4',
      triggers: [],
      webhooks: [
        { url: receiver.url, events: ['failure', 'recovery'], secret: 's3cret', backoffSeconds: 0.2 },
      ],
    });
    await call(url, 'POST', `/api/jobs/${job.id}/run`);
    const deliveries = await waitFor(
      async () => {
        const items = await deliveriesOf(url, job.id);
        return items.some((d) => d.ok) && items;
      },
      'a successful delivery',
      20_000,
    );

    // Newest first: two failed attempts, then the one that got through.
    expect(deliveries.map((d) => [d.attempt, d.statusCode, d.ok]).reverse()).toEqual([
      [1, 500, false],
      [2, 503, false],
      [3, 200, true],
    ]);
    expect(new Set(deliveries.map((d) => d.deliveryId)).size).toBe(1);
    expect(receiver.calls).toHaveLength(3);
    expect(receiver.calls[1]!.at - receiver.calls[0]!.at).toBeGreaterThanOrEqual(190);
    expect(receiver.calls[2]!.at - receiver.calls[1]!.at).toBeGreaterThanOrEqual(390);

    const last = receiver.calls[2]!;
    const expected = `sha256=${createHmac('sha256', 's3cret').update(last.body).digest('hex')}`;
    expect(last.headers['x-stepflow-signature']).toBe(expected);
    expect(last.headers['x-stepflow-event']).toBe('failure');
    const payload = JSON.parse(last.body) as WebhookPayload;
    const [run] = await runsOf(url, job.id);
    expect(payload).toMatchObject({
      event: 'failure',
      job: { id: job.id, name: job.name },
      execution: { id: run!.id, status: 'failed', exitCode: 4, attempt: 1 },
      failedStep: { name: 'Deploy' },
    });
    expect(payload.logTail).toContain('boom');
    expect(last.body).not.toContain('hunter2');
  });

  it('calls recovery on the first success after a failure; a dead webhook never blocks the run', async () => {
    const receiver = await startReceiver();
    const { url } = await startServer();
    const job = await createJob(url, {
      name: uniqueName('recovering'),
      // Fails the first time (no marker file yet in its private working directory), then succeeds.
      command: 'test -f ok || { touch ok; exit 1; }',
      cwd: tempDir(),
      triggers: [],
      webhooks: [
        { url: receiver.url, events: ['recovery'] },
        // Nothing listens on port 9 of loopback: every attempt fails at once.
        {
          url: 'http://127.0.0.1:9/dead',
          events: ['failure', 'recovery'],
          maxAttempts: 2,
          backoffSeconds: 0.1,
        },
      ],
    });
    await call(url, 'POST', `/api/jobs/${job.id}/run`);
    await waitFor(async () => (await runsOf(url, job.id))[0]?.status === 'failed', 'the failing run');
    await call(url, 'POST', `/api/jobs/${job.id}/run`);
    await waitFor(async () => receiver.calls.length === 1, 'the recovery call', 15_000);
    expect((JSON.parse(receiver.calls[0]!.body) as WebhookPayload).event).toBe('recovery');
    expect((await runsOf(url, job.id)).map((run) => run.status)).toEqual(['failed', 'succeeded']);
    const dead = await waitFor(
      async () => {
        const items = (await deliveriesOf(url, job.id)).filter((d) => d.url.includes('/dead'));
        return items.length === 4 && items;
      },
      'two failed attempts per dead delivery',
      15_000,
    );
    expect(dead.every((d) => !d.ok && d.statusCode === null && d.error !== null)).toBe(true);
  });

  it('warns when a run is late: a running-late event and webhook, and the run still ends on its own', async () => {
    const receiver = await startReceiver();
    const server = await startServer();
    const lateEvents: string[] = [];
    server.stepflow.bus.subscribe((event) => {
      if (event.type === 'late.warning') lateEvents.push(event.executionId);
    });
    const job = await createJob(server.url, {
      name: uniqueName('slow'),
      command: 'sleep 1.5',
      triggers: [],
      lateAfterSeconds: 0.5,
      webhooks: [{ url: receiver.url, events: ['running-late'] }],
    });
    const run = await call<{ id: string }>(server.url, 'POST', `/api/jobs/${job.id}/run`);
    await waitFor(async () => receiver.calls.length === 1, 'the running-late call', 10_000);
    const payload = JSON.parse(receiver.calls[0]!.body) as WebhookPayload;
    expect(payload).toMatchObject({
      event: 'running-late',
      execution: { id: run.body.id, status: 'running' },
      late: { reason: 'threshold', lateAfterSeconds: 0.5 },
    });
    expect(lateEvents).toEqual([run.body.id]);
    const [ended] = await waitFor(async () => {
      const runs = await runsOf(server.url, job.id);
      return runs[0]?.status === 'succeeded' && runs;
    }, 'the late run to succeed');
    expect(ended!.durationMs).toBeGreaterThanOrEqual(1400);
  });
});
