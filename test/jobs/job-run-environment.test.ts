import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { WebhookPayload } from '../../src/notify/webhook-payload.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, createJob, ended, runsOf, uniqueName, waitFor } from './jobs-client.js';
import { useWebhookReceivers } from './webhook-receiver.js';

const startServer = useTestServers();
const tempDir = useTempDirs();
const startReceiver = useWebhookReceivers();

const unique = randomUUID().slice(0, 8);
/** The environment of this process, which the in-process server's runs are made from. */
const SERVER_VARIABLES = {
  STEPFLOW_API_KEY: `admin-key-${unique}`,
  STEPFLOW_API_KEYS: `second-key-${unique}`,
  MY_CLOUD_SECRET: `cloud-secret-${unique}`,
  UNLISTED_SERVER_VARIABLE: `unlisted-${unique}`,
  PASSED_THROUGH_VARIABLE: `passed-${unique}`,
};
Object.assign(process.env, SERVER_VARIABLES);
afterAll(() => {
  for (const name of Object.keys(SERVER_VARIABLES)) delete process.env[name];
});
const SECRETS = [
  SERVER_VARIABLES.STEPFLOW_API_KEY,
  SERVER_VARIABLES.STEPFLOW_API_KEYS,
  SERVER_VARIABLES.MY_CLOUD_SECRET,
  SERVER_VARIABLES.UNLISTED_SERVER_VARIABLE,
];

// Few enough lines that the webhook's 20-line log tail holds them all; fails, so the webhook fires.
const PRINT_ENVIRONMENT = `env | grep -E '^(PATH|STEPFLOW_|MY_CLOUD_|UNLISTED_|PASSED_|JOB_)'; exit 3`;

describe('the environment of a job run', () => {
  it('scheduled and run-now runs get the server’s policy: no key, server-only or unlisted variable in their logs or webhooks', async () => {
    const receiver = await startReceiver();
    const { url } = await startServer({
      config: {
        runEnvironment: {
          inherit: 'allow-list',
          passThrough: ['PASSED_*', 'MY_CLOUD_*'],
          serverOnly: ['MY_CLOUD_*'],
        },
      },
    });
    const job = await createJob(url, {
      name: uniqueName('env'),
      command: PRINT_ENVIRONMENT,
      cwd: tempDir(),
      env: { JOB_GREETING: 'hello from the job' },
      triggers: [{ intervalSeconds: 1 }],
      overlap: 'parallel',
      webhooks: [{ url: receiver.url, events: ['failure'] }],
    });
    await call(url, 'POST', `/api/jobs/${job.id}/run`);
    const runs = await waitFor(
      async () => {
        const all = (await runsOf(url, job.id)).filter(ended);
        const scheduled = all.find((run) => run.scheduledAt !== null);
        const manual = all.find((run) => run.scheduledAt === null);
        return scheduled && manual && [scheduled, manual];
      },
      'a scheduled and a manual run to end',
      20_000,
    );

    for (const run of runs) {
      expect(run.status).toBe('failed');
      const log = (await call<string>(url, 'GET', `/api/executions/${run.id}/logs?format=text`)).body;
      for (const secret of SECRETS) expect(log).not.toContain(secret);
      expect(log).toMatch(/^PATH=\//m);
      expect(log).toContain('JOB_GREETING=hello from the job');
      expect(log).toContain(`PASSED_THROUGH_VARIABLE=${SERVER_VARIABLES.PASSED_THROUGH_VARIABLE}`);
      expect(log).toContain(`STEPFLOW_EXECUTION_ID=${run.id}`);
    }

    await waitFor(async () => receiver.calls.length > 0, 'a failure webhook', 20_000);
    const payload = JSON.parse(receiver.calls[0]!.body) as WebhookPayload;
    expect(payload.logTail).toContain('JOB_GREETING=hello from the job');
    for (const secret of SECRETS) expect(payload.logTail.join('\n')).not.toContain(secret);
  }, 60_000);
});
