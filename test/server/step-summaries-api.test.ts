import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { useTestServers } from '../helpers/test-server.js';
import type { ExecutionPageBody, ExecutionSummaryBody, LogPageBody } from '../../src/protocol/api-schemas.js';
import { call, FIXTURES, startExecution, waitForStatus } from './execution-api-client.js';
import { LiveTestClient, startLiveServer, type LiveServer } from './live-test-kit.js';

const startServer = useTestServers();

async function summaryOf(url: string, id: string): Promise<ExecutionSummaryBody> {
  const response = await call<ExecutionSummaryBody>(url, 'GET', `/api/executions/${id}/summary`);
  expect(response.status).toBe(200);
  return response.body;
}

describe('step summaries and outputs', () => {
  it("gives each step what it appended to $GITHUB_STEP_SUMMARY, the run all of it, and returns the run's outputs", async () => {
    const { url } = await startServer();
    const { id } = await startExecution(url, { argv: [path.join(FIXTURES, 'step-summaries.sh')] });
    const done = await waitForStatus(url, id, undefined, 30_000);

    expect(done.status).toBe('succeeded');
    // Holds the line printed before the first step; its end, when Build starts, reads nothing.
    expect(done.steps.map((step) => [step.name, step.hasSummary])).toEqual([
      ['Set up', false],
      ['Build', true],
      ['Test', true],
    ]);
    expect(done.hasSummary).toBe(true);
    const summary = await summaryOf(url, id);
    const nameOf = (stepId: number) => done.steps.find((step) => step.id === stepId)?.name;
    expect(summary.steps.map((step) => [nameOf(step.stepId), step.summary])).toEqual([
      ['Build', '## Build ok\n'],
      ['Test', '| suite | passed |\n|---|---|\n| unit | 42 |\n'],
    ]);
    expect(summary.summary).toBe('## Build ok\n| suite | passed |\n|---|---|\n| unit | 42 |\n');
    expect(done.outputs).toEqual({
      version: '1.2.3',
      notes: 'first line\nsecond line',
      legacy: 'from set-output',
    });
    // The files were only a way in: nothing is left of them.
    const log = await call<LogPageBody>(url, 'GET', `/api/executions/${id}/logs`);
    const file = log.body.lines[0]?.text.replace('summary file: ', '') ?? '';
    expect(path.isAbsolute(file)).toBe(true);
    expect(fs.existsSync(path.dirname(file))).toBe(false);
  });

  it('answers 404 for the summary of an unknown execution, and an empty one for a run that wrote none', async () => {
    const { url } = await startServer();
    const missing = await call(url, 'GET', '/api/executions/01hzzzzzzzzzzzzzzzzzzzzzzz/summary');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'not_found' } });

    const { id } = await startExecution(url, { command: 'echo plain' });
    const done = await waitForStatus(url, id, undefined, 30_000);
    expect(done.hasSummary).toBe(false);
    expect(await summaryOf(url, id)).toEqual({ summary: null, steps: [] });
  });

  it('masks secrets in the summaries and the outputs', async () => {
    const { url } = await startServer();
    const secret = 'dz-81Kq-summary-secret';
    const { id } = await startExecution(url, {
      argv: [path.join(FIXTURES, 'summary-with-secret.sh')],
      secretEnv: { DEPLOY_TOKEN: secret },
    });
    const done = await waitForStatus(url, id, undefined, 30_000);

    const summary = await summaryOf(url, id);
    expect(summary).toEqual({
      summary: 'deployed with ***\n',
      steps: [{ stepId: done.steps[0]?.id, summary: 'deployed with ***\n' }],
    });
    expect(done.outputs).toEqual({ token: '***', again: '***' });
    expect(JSON.stringify(done)).not.toContain(secret);
  });

  it('says in the log which output line it refused, and keeps the others', async () => {
    const { url } = await startServer();
    const { id } = await startExecution(url, { argv: [path.join(FIXTURES, 'bad-output-line.sh')] });
    const done = await waitForStatus(url, id, undefined, 30_000);

    expect(done.outputs).toEqual({ good: 'yes' });
    const log = await call<LogPageBody>(url, 'GET', `/api/executions/${id}/logs`);
    expect(log.body.lines.map((line) => line.text)).toContain(
      "⚠ $STEPFLOW_OUTPUT: Invalid format 'not an output': expected name=value or name<<DELIMITER",
    );
  });

  it('cuts a summary over 1 MiB, saying so at its end', async () => {
    const { url } = await startServer();
    const { id } = await startExecution(url, { argv: [path.join(FIXTURES, 'summary-over-limit.sh')] });
    await waitForStatus(url, id, undefined, 30_000);

    const summary = await summaryOf(url, id);
    expect(summary.steps).toHaveLength(1);
    for (const text of [summary.steps[0]?.summary ?? '', summary.summary ?? '']) {
      expect(text.startsWith('x'.repeat(1024 * 1024))).toBe(true);
      expect(text.slice(1024 * 1024)).toMatch(
        /^\n\n---\n\n\*⚠ StepFlow cut this summary here: it is over the 1 MiB limit\.\*\n$/,
      );
    }
  });
});

describe('summary text stays out of listings and live messages', () => {
  let server: LiveServer | undefined;
  let client: LiveTestClient | undefined;
  afterEach(async () => {
    client?.ws.terminate();
    await server?.close();
  });

  it('sends hasSummary on the run and its steps, and the text only from GET …/summary', async () => {
    server = await startLiveServer();
    client = await LiveTestClient.connect(server.wsUrl);
    await client.subscribe('executions');
    const marker = 'summary-text-0x5f3a';
    const gate = path.join(server.dir, 'go');
    // Waits until the execution topic is subscribed, so every step message is seen.
    const { id, done } = await server.run(
      `while [ ! -f "${gate}" ]; do sleep 0.05; done
echo "::group::Report"
echo "## ${marker}" >>"$GITHUB_STEP_SUMMARY"
echo "::endgroup::"
`,
      'report.sh',
    );
    await client.subscribe(`execution:${id}`, 0);
    fs.writeFileSync(gate, '');
    await done;
    const finished = await client.finished(id);

    expect(finished.type === 'execution' && finished.execution.hasSummary).toBe(true);
    const stepMessages = client.messages.flatMap((m) => (m.type === 'steps' ? m.steps : []));
    expect(stepMessages.some((step) => step.name === 'Report' && step.hasSummary)).toBe(true);
    await client.find(
      (m) =>
        m.type === 'executions' &&
        m.changes.some((c) => c.execution.id === id && c.change === 'finished' && c.execution.hasSummary),
    );
    expect(JSON.stringify(client.messages)).not.toContain(marker);

    const listing = await call<ExecutionPageBody>(server.url, 'GET', '/api/executions');
    expect(listing.body.items.find((item) => item.id === id)?.hasSummary).toBe(true);
    expect(JSON.stringify(listing.body)).not.toContain(marker);
    const detail = await call(server.url, 'GET', `/api/executions/${id}`);
    expect(JSON.stringify(detail.body)).not.toContain(marker);
    expect((await summaryOf(server.url, id)).summary).toBe(`## ${marker}\n`);
  });
});
