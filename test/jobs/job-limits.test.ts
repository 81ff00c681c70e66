import { describe, expect, it } from 'vitest';
import type { ErrorBodyJson } from '../../src/protocol/api-schemas.js';
import type { JobBody } from '../../src/protocol/job-schemas.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, createJob, ended, runsOf, uniqueName, waitFor } from './jobs-client.js';

const startServer = useTestServers();
const tempDir = useTempDirs();

describe('limits of a job', () => {
  it('are saved with the job, shown by the API, kept by a PATCH and applied to its runs', async () => {
    const { url } = await startServer();
    const job = await createJob(url, {
      name: uniqueName('limits'),
      command: 'seq 1 50',
      cwd: tempDir(),
      triggers: [],
      limits: { maxLines: 10, logLimitPolicy: 'fail' },
    });
    expect(job.limits).toEqual({ maxLines: 10, logLimitPolicy: 'fail' });
    const patched = await call<JobBody>(url, 'PATCH', `/api/jobs/${job.id}`, { lateAfterSeconds: 60 });
    expect(patched.body.limits).toEqual({ maxLines: 10, logLimitPolicy: 'fail' });

    await call(url, 'POST', `/api/jobs/${job.id}/run`);
    const [run] = await waitFor(
      async () => {
        const runs = (await runsOf(url, job.id)).filter(ended);
        return runs.length > 0 && runs;
      },
      'the run to end',
      20_000,
    );
    expect(run!.status).toBe('failed');
    expect(run!.limits).toEqual({ maxLines: 10, logLimitPolicy: 'fail' });
    expect(run!.limitHits).toEqual([expect.objectContaining({ kind: 'lines', action: 'failed', limit: 10 })]);
  });

  it('refuses a job whose limits are out of range with a 400 naming the field', async () => {
    const { url } = await startServer();
    const response = await call<ErrorBodyJson>(url, 'POST', '/api/jobs', {
      name: uniqueName('bad-limits'),
      command: 'true',
      triggers: [],
      limits: { memoryLimitMb: -1 },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain('body.limits.memoryLimitMb');
  });
});
