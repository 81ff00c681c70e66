import { expect, it } from 'vitest';
import { makeZip } from '../helpers/archives.js';
import { usePostgres } from '../helpers/postgres.js';
import { useScaledCluster } from '../helpers/scaled-cluster.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { call, startExecution, waitForStatus } from '../server/execution-api-client.js';

// Projects in the scaled mode as deployed (docs/WORKSPACE.md): two `server --no-runner` replicas
// on one PostgreSQL database sharing one STEPFLOW_STORAGE_PATH. A project uploaded through A runs
// on a worker that only talks to B: B serves the version A wrote, by id and number.

const postgres = usePostgres();
const tempDir = useTempDirs();
const cluster = useScaledCluster(tempDir);

it('a worker of replica B runs in the version uploaded through replica A', async () => {
  const url = await postgres().createDatabase();
  const shared = tempDir();
  const a = (await cluster.startReplica(url, { dataDir: shared })).url;
  const b = (await cluster.startReplica(url, { dataDir: shared })).url;
  await cluster.startWorker(b, { name: 'proj-worker' });

  expect((await call(a, 'POST', '/api/projects', { name: 'shared' })).status).toBe(201);
  const uploaded = await fetch(`${a}/api/projects/shared/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/zip' },
    body: await makeZip([{ name: 'run.sh', content: 'echo "uploaded through A"\n' }]),
  });
  expect(uploaded.status).toBe(201);

  const run = await startExecution(a, { project: 'shared', argv: ['sh', 'run.sh'] });
  const done = await waitForStatus(a, run.id, ['succeeded', 'failed', 'lost'], 60_000);
  const log = (
    await call<{ lines: { text: string }[] }>(b, 'GET', `/api/executions/${run.id}/logs?limit=100`)
  ).body.lines.map((line) => line.text);
  expect(done.status, log.join('\n')).toBe('succeeded');
  expect(done.worker?.name).toBe('proj-worker');
  expect(done.project).toEqual({ name: 'shared', version: 2 });
  expect(log).toContain('uploaded through A');
}, 120_000);
