import os from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { call, createJob } from './jobs-client.js';

let server: TestServer | undefined;
afterAll(async () => server?.close());

describe("a job's last run as the jobs list reads it", () => {
  it('says how the run ended as soon as the end is announced (the dashboard re-reads on that event)', async () => {
    server = await startTestServer();
    const job = await createJob(server.url, {
      name: 'quick',
      command: 'true',
      cwd: os.tmpdir(),
      triggers: [],
    });
    const { stepflow } = server;
    // Read the moment the end goes out on the event stream, as a live client's re-read may.
    const readAtEnd = new Promise<unknown>((resolve) => {
      const stop = stepflow.bus.subscribe((event) => {
        if (event.type !== 'execution.finished' || event.execution.jobId !== job.id) return;
        stop();
        resolve(stepflow.app.jobs.reads.lastRuns().then((runs) => runs.get(job.id)?.status));
      });
    });
    expect((await call(server.url, 'POST', `/api/jobs/${job.id}/run`)).status).toBe(201);
    expect(await readAtEnd).toBe('succeeded');
  });
});
