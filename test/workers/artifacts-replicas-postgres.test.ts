import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { usePostgres } from '../helpers/postgres.js';
import { useScaledCluster } from '../helpers/scaled-cluster.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { getExecution, startExecution, waitFor, waitForStatus } from '../server/execution-api-client.js';

// Artifacts in the scaled mode (docs/SCALING.md): two `server --no-runner` replicas on one
// PostgreSQL database sharing one STEPFLOW_STORAGE_PATH (the ReadWriteMany volume, here a temp
// dir), a worker reporting to replica A only. What it uploads through A downloads through B.

const postgres = usePostgres();
const tempDir = useTempDirs();
const cluster = useScaledCluster(tempDir);

describe('artifacts with two replicas on PostgreSQL', () => {
  it('downloads through replica B the artifact a worker uploaded through replica A', async () => {
    const url = await postgres().createDatabase();
    const shared = tempDir();
    const a = (await cluster.startReplica(url, { dataDir: shared })).url;
    const b = (await cluster.startReplica(url, { dataDir: shared })).url;
    await cluster.startWorker(a, { name: 'art-worker', labels: 'art' });

    const work = tempDir();
    const content = `model weights ${process.pid}\n`.repeat(1000);
    fs.writeFileSync(
      path.join(work, 'make.sh'),
      `printf '%s' "$CONTENT" > model.bin\necho "ARTIFACT:model.bin:the model"\n`,
    );
    const run = await startExecution(a, {
      argv: ['sh', 'make.sh'],
      cwd: work,
      env: { CONTENT: content },
      runsOn: ['art'],
    });
    await waitForStatus(a, run.id, ['succeeded', 'failed', 'lost'], 30_000);
    // The upload follows the run's end: wait until B reads it stored.
    const onB = await waitFor(
      async () => {
        const detail = await getExecution(b, run.id);
        return detail.artifacts.some((x) => x.status === 'stored' && x.sha256 !== null) && detail;
      },
      'the artifact recorded, as read through B',
      30_000,
    );
    expect(onB).toMatchObject({ status: 'succeeded', worker: { name: 'art-worker' } });
    const artifact = onB.artifacts.find((x) => x.path === 'model.bin');
    expect(artifact).toMatchObject({ status: 'stored', size: content.length, description: 'the model' });

    const response = await fetch(`${b}/api/executions/${run.id}/artifacts/${artifact!.id}`);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.toString()).toBe(content);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(artifact!.sha256);
  }, 60_000);
});
