import { describe, expect, it } from 'vitest';
import { LineFlag } from '../../src/core/model.js';
import type { WebhookPayload } from '../../src/notify/webhook-payload.js';
import type { LogPageBody } from '../../src/protocol/api-schemas.js';
import type { JobBody } from '../../src/protocol/job-schemas.js';
import type { LiveLine } from '../../src/protocol/live-messages.js';
import { useTestServers } from '../helpers/test-server.js';
import { createJob, deliveriesOf } from '../jobs/jobs-client.js';
import { useWebhookReceivers } from '../jobs/webhook-receiver.js';
import { call, startExecution, waitFor, waitForStatus } from './execution-api-client.js';
import { LiveTestClient } from './live-test-kit.js';

const startServer = useTestServers();
const startReceiver = useWebhookReceivers();

// Three secrets, each reaching the script a different way.
const BY_NAME = 'tok-Zq81-by-name-only'; // env DEPLOY_TOKEN: masked because of its name
const DECLARED = 'pw-Xy72-declared-secret'; // secretEnv DB_CONN: masked because it was given as secret
const ADDED = 'am-Wv63-add-mask-value'; // env TO_HIDE, declared by the script with ::add-mask::
const SECRETS = [BY_NAME, DECLARED, ADDED];

/**
 * Prints each secret plainly, in markers, base64-encoded, and inside one line of 200 KiB where
 * the 64 KiB cuts of the line splitter fall in the middle of each of them.
 */
const SCRIPT = String.raw`
import base64, os, sys, time
time.sleep(0.8)  # time for the WebSocket client to subscribe
token, conn, added = os.environ["DEPLOY_TOKEN"], os.environ["DB_CONN"], os.environ["TO_HIDE"]
print("::add-mask::" + added, flush=True)
print("STEP_START:deploy with " + conn)
print("token=" + token + " conn=" + conn + " added=" + added)
print("b64 " + base64.b64encode(conn.encode()).decode() + " hex " + token.encode().hex())
print("META:db:" + conn)
print("::warning title=" + token + "::uses " + added)
print("ARTIFACT:missing-file.txt:built with " + token)
sys.stdout.flush()  # what print() holds goes before the bytes written below it
line = bytearray(b"x" * 200_000)
for i, secret in enumerate((token, conn, added)):
    at = 65_536 * (i + 1) - 7
    line[at:at + len(secret)] = secret.encode()
sys.stdout.buffer.write(bytes(line) + b"\n")
sys.stdout.flush()
print("STEP_ERROR:failed for " + token)
`;

/** Lines with the pieces of each over-long line joined back together. */
function wholeLines(lines: readonly { text: string; flags?: number }[]): string[] {
  const out: string[] = [];
  let open = false;
  for (const line of lines) {
    if (open) out[out.length - 1] += line.text;
    else out.push(line.text);
    open = ((line.flags ?? 0) & LineFlag.Continued) !== 0;
  }
  return out;
}

function expectNoSecret(where: string, text: string): void {
  const b64 = (value: string) => Buffer.from(value).toString('base64');
  for (const secret of SECRETS) {
    for (const form of [secret, b64(secret), Buffer.from(secret).toString('hex')]) {
      expect(text.includes(form), `${where} shows ${form}`).toBe(false);
    }
  }
}

describe('secrets in what a run records', () => {
  it('masks env secrets (by name and secretEnv) and ::add-mask:: values in the logs, the live stream and the detail', async () => {
    const { url, wsUrl } = await startServer().then((s) => ({ ...s, wsUrl: `ws://127.0.0.1:${s.port}/ws` }));
    const client = await LiveTestClient.connect(wsUrl);
    try {
      const { id } = await startExecution(url, {
        argv: ['python3', '-c', SCRIPT],
        // TO_HIDE's name is no secret's: only the script's ::add-mask:: hides its value.
        env: { DEPLOY_TOKEN: BY_NAME, TO_HIDE: ADDED },
        secretEnv: ['DB_CONN=' + DECLARED],
      });
      await client.subscribe(`execution:${id}`, 0);
      await waitForStatus(url, id);
      await client.finished(id);

      const text = await call<string>(url, 'GET', `/api/executions/${id}/logs?format=text`);
      expect(text.status).toBe(200);
      expectNoSecret('the text log', text.body);
      expect(text.body).toContain('token=*** conn=*** added=***');
      expect(text.body).toContain('b64 *** hex ***');

      const json = await call<LogPageBody>(url, 'GET', `/api/executions/${id}/logs?limit=10000`);
      const joined = wholeLines(json.body.lines);
      expectNoSecret('the JSON log', joined.join('\n'));
      const long = joined.find((line) => line.length > 150_000) ?? '';
      // Each secret was cut by a 64 KiB split; all three are masked and the rest is kept.
      expect(long.match(/\*\*\*/g)).toHaveLength(3);
      expect(long.replace(/\*\*\*/g, '')).toMatch(/^x+$/);
      expect(json.body.lines.filter((l) => (l.flags ?? 0) & LineFlag.Continued).length).toBeGreaterThan(1);

      const live = client.lines.get(id) ?? [];
      expect(live.length).toBe(json.body.lines.length);
      expectNoSecret('the WebSocket', wholeLines(live as LiveLine[]).join('\n'));
      expectNoSecret('the WebSocket messages', JSON.stringify(client.messages));

      const detail = await call(url, 'GET', `/api/executions/${id}`);
      expectNoSecret('the execution detail', detail.text);
      expect(detail.body).toMatchObject({
        status: 'failed',
        error: 'failed for ***',
        steps: [{ name: 'deploy with ***', meta: { db: '***' } }],
        annotations: [{ title: '***', message: 'uses ***' }],
      });
      const artifacts = await call(url, 'GET', `/api/executions/${id}/artifacts`);
      expectNoSecret('the artifacts', artifacts.text);
    } finally {
      client.ws.terminate();
    }
  });

  it('never returns secretEnv values, and masks them in a job run and its webhook payload', async () => {
    const receiver = await startReceiver();
    const { url } = await startServer();
    const job = await createJob(url, {
      name: `masked-${Date.now()}`,
      command:
        'echo "conn=$DB_CONN"; echo "STEP_START:Deploy"; echo "STEP_ERROR:cannot reach $DB_CONN"; exit 2',
      secretEnv: { DB_CONN: DECLARED },
      env: { SERVICE_PASSWORD: BY_NAME },
      triggers: [],
      webhooks: [{ url: receiver.url, events: ['failure'] }],
    });
    expect(job).toMatchObject({ envNames: ['SERVICE_PASSWORD'], secretEnvNames: ['DB_CONN'] });
    const shown = await call<JobBody>(url, 'GET', `/api/jobs/${job.id}`);
    expectNoSecret('the job', shown.text);
    expect(shown.body.secretEnvNames).toEqual(['DB_CONN']);

    await call(url, 'POST', `/api/jobs/${job.id}/run`);
    await waitFor(async () => (await deliveriesOf(url, job.id)).some((d) => d.ok), 'a delivery', 20_000);
    const payload = JSON.parse(receiver.calls[0]!.body) as WebhookPayload;
    expectNoSecret('the webhook payload', receiver.calls[0]!.body);
    expect(payload.logTail).toContain('conn=***');
    expect(payload.failedStep).toMatchObject({ error: 'cannot reach ***' });

    // A PATCH that does not mention secretEnv keeps it.
    const patched = await call<JobBody>(url, 'PATCH', `/api/jobs/${job.id}`, { name: `${job.name}-2` });
    expect(patched.body.secretEnvNames).toEqual(['DB_CONN']);
  });

  it('refuses a variable set both in env and in secretEnv', async () => {
    const { url } = await startServer();
    const response = await call<{ error: { code: string; message: string } }>(
      url,
      'POST',
      '/api/executions',
      {
        command: 'true',
        env: { API: 'a' },
        secretEnv: { API: 'b' },
      },
    );
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/secretEnv sets API, which env sets too/);
  });
});
