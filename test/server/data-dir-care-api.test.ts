import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';

const start = useTestServers();
const tempDir = useTempDirs();
const KEY = 'data-dir-care-test-key';
const AUTH = { authorization: `Bearer ${KEY}` };

async function finishedRun(url: string): Promise<string> {
  const posted = await fetch(`${url}/api/executions`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({ command: 'seq 1 2500' }),
  });
  expect(posted.status).toBe(201);
  const { id } = (await posted.json()) as { id: string };
  for (let i = 0; i < 200; i++) {
    const detail = (await (await fetch(`${url}/api/executions/${id}`, { headers: AUTH })).json()) as {
      status: string;
    };
    if (detail.status === 'succeeded') return id;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the run did not end');
}

describe('POST /api/admin/backup and GET /api/health/integrity', () => {
  it('the backup route streams an archive that `stepflow restore` restores; both routes need the key', async () => {
    const server = await start({ env: { STEPFLOW_API_KEY: KEY } });
    const id = await finishedRun(server.url);

    expect((await fetch(`${server.url}/api/admin/backup`, { method: 'POST' })).status).toBe(401);
    const response = await fetch(`${server.url}/api/admin/backup`, { method: 'POST', headers: AUTH });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/gzip');
    expect(response.headers.get('content-disposition')).toMatch(/stepflow-backup-.*\.tar\.gz/);
    const archive = path.join(tempDir(), 'from-api.tar.gz');
    fs.writeFileSync(archive, Buffer.from(await response.arrayBuffer()));

    const restored = path.join(tempDir(), 'restored');
    const restore = await runCli(['restore', archive, '--data-dir', restored], { dataDir: tempDir() });
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    const logs = await runCli(['logs', id], { dataDir: restored });
    expect(logs.stdout.split('\n').filter((line) => /^\d+$/.test(line))).toHaveLength(2500);
  }, 60_000);

  it('the integrity route returns the report as JSON, naming a planted orphan file, and repairs nothing', async () => {
    const server = await start({ env: { STEPFLOW_API_KEY: KEY } });
    const id = await finishedRun(server.url);
    expect((await fetch(`${server.url}/api/health/integrity`)).status).toBe(401);

    const clean = await fetch(`${server.url}/api/health/integrity`, { headers: AUTH });
    expect(clean.status).toBe(200);
    expect(await clean.json()).toMatchObject({ ok: true, problems: [], repair: false });

    const orphan = `artifacts/${id}/7/left-behind.log`;
    fs.mkdirSync(path.join(server.dataDir, path.dirname(orphan)), { recursive: true });
    fs.writeFileSync(path.join(server.dataDir, orphan), 'x');
    const found = await fetch(`${server.url}/api/health/integrity`, { headers: AUTH });
    expect(found.status).toBe(200);
    const report = (await found.json()) as { ok: boolean; problems: unknown[] };
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      {
        code: 'orphan_artifact_file',
        message: `${orphan} is in the artifacts folder, and no artifact of an ended run names it`,
        path: orphan,
        repair: 'remove the file',
      },
    ]);
    expect(fs.existsSync(path.join(server.dataDir, orphan))).toBe(true);
  }, 60_000);
});
