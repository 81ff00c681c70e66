import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SERVER_ENV, listeningUrl, runCli, startCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

// Issue 18's figure: a backup taken while 20 runs write restores, in a new data dir, every line
// committed before the backup began and every artifact with its checksum.
const tempDir = useTempDirs();
const RUNS = 20;
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Per execution: the last line seq committed, and whether its artifact is stored (another reader). */
function committed(dataDir: string): Map<string, { lastSeq: number; artifact: boolean }> {
  const db = new Database(path.join(dataDir, 'stepflow.db'), { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(
        `SELECT e.id AS id, coalesce((SELECT max(seq_end) FROM log_chunks c WHERE c.execution_id = e.id), 0) AS lastSeq,
           EXISTS (SELECT 1 FROM artifacts a WHERE a.execution_id = e.id AND a.status = 'stored') AS artifact
         FROM executions e`,
      )
      .all() as { id: string; lastSeq: number; artifact: number }[];
    return new Map(rows.map((row) => [row.id, { lastSeq: row.lastSeq, artifact: row.artifact === 1 }]));
  } finally {
    db.close();
  }
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok)
    throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function withServer<T>(dataDir: string, use: (url: string) => Promise<T>): Promise<T> {
  const server = startCli(['server', '--port', '0'], {
    dataDir,
    env: { ...SERVER_ENV, MAX_CONCURRENT_TASKS: String(RUNS) },
  });
  try {
    return await use(await listeningUrl(server.child, 30_000));
  } finally {
    server.child.kill('SIGTERM');
    await server.result;
  }
}

describe('stepflow backup while 20 runs write (built CLI: run `npm run build` first)', () => {
  it('restores every line committed before the backup began and every artifact with its checksum', async () => {
    const dataDir = tempDir();
    const work = tempDir();
    const blobs = Array.from({ length: RUNS }, (_, i) => randomBytes(200_000 + i));
    blobs.forEach((blob, i) => fs.writeFileSync(path.join(work, `blob-${i}.bin`), blob));
    const archive = path.join(tempDir(), 'live.tar.gz');

    const { ids, before } = await withServer(dataDir, async (url) => {
      const ids: string[] = [];
      for (let i = 0; i < RUNS; i++) {
        // Long enough to be writing when the backup is taken, whatever the machine's load.
        const command = `echo ARTIFACT:blob-${i}.bin; for n in $(seq 1 200000); do echo "line $n"; if [ $((n % 500)) -eq 0 ]; then sleep 0.05; fi; done`;
        const created = await json<{ id: string }>(`${url}/api/executions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ command, cwd: work }),
        });
        ids.push(created.id);
      }
      // Every run has its artifact stored and some lines committed: then the backup begins.
      const deadline = Date.now() + 60_000;
      let before = committed(dataDir);
      while (!ids.every((id) => before.get(id)?.artifact && (before.get(id)?.lastSeq ?? 0) >= 500)) {
        if (Date.now() > deadline) throw new Error(`runs not writing: ${JSON.stringify([...before])}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        before = committed(dataDir);
      }
      const backup = await runCli(['backup', archive], { dataDir });
      expect(backup.stderr).not.toContain('stepflow:');
      expect(backup.code).toBe(0);
      expect(backup.stdout).toMatch(new RegExp(`${RUNS} executions, 0 jobs, ${RUNS} artifacts`));
      // Still writing after the backup: it was taken in the middle of them all.
      const running = await json<{ items: { status: string }[] }>(`${url}/api/executions?status=running`);
      expect(running.items).toHaveLength(RUNS);
      return { ids, before };
    });

    const restored = path.join(tempDir(), 'restored');
    const restore = await runCli(['restore', archive, '--data-dir', restored], { dataDir: tempDir() });
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);

    await withServer(restored, async (url) => {
      for (const [i, id] of ids.entries()) {
        const text = await (await fetch(`${url}/api/executions/${id}/logs?format=text`)).text();
        const numbers = text
          .split('\n')
          .filter((line) => /^line \d+$/.test(line))
          .map((line) => Number(line.slice(5)));
        // Every line committed before the backup began, in order, none twice, none missing.
        expect(numbers.length).toBeGreaterThanOrEqual(before.get(id)!.lastSeq - 1);
        expect(numbers.every((n, at) => n === at + 1)).toBe(true);
        expect(numbers.length).toBeLessThan(200_000);

        const detail = await json<{ artifacts: { id: number; status: string; sha256: string }[] }>(
          `${url}/api/executions/${id}`,
        );
        expect(detail.artifacts).toMatchObject([{ status: 'stored', sha256: sha256(blobs[i]!) }]);
        const download = await fetch(`${url}/api/executions/${id}/artifacts/${detail.artifacts[0]!.id}`);
        expect(download.status).toBe(200);
        expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(blobs[i]!));
      }
    });
  }, 180_000);
});
