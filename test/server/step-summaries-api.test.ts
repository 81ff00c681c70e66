import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTestServers } from '../helpers/test-server.js';
import type { LogPageBody } from '../../src/protocol/api-schemas.js';
import { call, FIXTURES, startExecution, waitForStatus } from './execution-api-client.js';

const startServer = useTestServers();

describe('step summaries and outputs', () => {
  it("gives each step what it appended to $GITHUB_STEP_SUMMARY, the run all of it, and returns the run's outputs", async () => {
    const { url } = await startServer();
    const { id } = await startExecution(url, { argv: [path.join(FIXTURES, 'step-summaries.sh')] });
    const done = await waitForStatus(url, id, undefined, 30_000);

    expect(done.status).toBe('succeeded');
    const summaries = Object.fromEntries(done.steps.map((step) => [step.name, step.summary]));
    expect(summaries).toEqual({
      // Holds the line printed before the first step; its end, when Build starts, reads nothing.
      'Set up': null,
      Build: '## Build ok\n',
      Test: '| suite | passed |\n|---|---|\n| unit | 42 |\n',
    });
    expect(done.summary).toBe('## Build ok\n| suite | passed |\n|---|---|\n| unit | 42 |\n');
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

  it('masks secrets in the summaries and the outputs', async () => {
    const { url } = await startServer();
    const secret = 'dz-81Kq-summary-secret';
    const { id } = await startExecution(url, {
      argv: [path.join(FIXTURES, 'summary-with-secret.sh')],
      secretEnv: { DEPLOY_TOKEN: secret },
    });
    const done = await waitForStatus(url, id, undefined, 30_000);

    expect(done.summary).toBe('deployed with ***\n');
    expect(done.steps[0]?.summary).toBe('deployed with ***\n');
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
    const done = await waitForStatus(url, id, undefined, 30_000);

    const step = done.steps.find((s) => s.name === 'Big');
    for (const summary of [step?.summary ?? '', done.summary ?? '']) {
      expect(summary.startsWith('x'.repeat(1024 * 1024))).toBe(true);
      expect(summary.slice(1024 * 1024)).toMatch(
        /^\n\n---\n\n\*⚠ StepFlow cut this summary here: it is over the 1 MiB limit\.\*\n$/,
      );
    }
  });
});
