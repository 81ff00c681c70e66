import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeZip } from '../helpers/archives.js';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';
import { waitFor } from '../server/execution-api-client.js';

// Temp dirs first: hooks run in reverse, so the servers are closed before their dirs go.
const tempDir = useTempDirs();
const start = useTestServers();

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of several shapes
type Json = any;

async function call(server: TestServer, method: string, url: string, body?: unknown): Promise<Json> {
  const raw = Buffer.isBuffer(body);
  const response = await fetch(`${server.url}${url}`, {
    method,
    ...(body === undefined
      ? {}
      : {
          headers: { 'content-type': raw ? 'application/zip' : 'application/json' },
          body: raw ? body : JSON.stringify(body),
        }),
  });
  const text = await response.text();
  expect(response.ok, `${method} ${url}: ${text}`).toBe(true);
  return text === '' ? undefined : JSON.parse(text);
}

const treeOf = async (server: TestServer, version: number): Promise<string[]> =>
  ((await call(server, 'GET', `/api/projects/site/tree?version=${version}`)).entries as Json[]).map(
    (entry) => `${entry.type} ${entry.path}${entry.type === 'file' ? ` ${entry.size}` : ''}`,
  );

describe('projects in a backup (built CLI: run `npm run build` first)', () => {
  it('a restored data dir has every kept version of a project: files, empty folders, the execute bit; a run in it works', async () => {
    const server = await start({ dataDir: tempDir() });
    await call(server, 'POST', '/api/projects', { name: 'site' });
    const zip = await makeZip([
      { name: 'run.sh', content: '#!/bin/sh\necho "run.sh says $(cat message.txt)"\n', mode: 0o100755 },
      { name: 'message.txt', content: 'hello from the backup\n' },
      { name: 'empty/', folder: true },
      { name: 'sub/data.txt', content: 'data' },
    ]);
    await call(server, 'POST', '/api/projects/site/versions', zip);
    const before = { v1: await treeOf(server, 1), v2: await treeOf(server, 2) };
    expect(before.v1).toEqual([]);
    expect(before.v2).toContain('directory empty');

    const archive = path.join(tempDir(), 'backup.tar.gz');
    const backup = await runCli(['backup', archive], { dataDir: server.dataDir });
    expect(backup.stderr).not.toContain('stepflow:');
    expect(backup.code).toBe(0);
    expect(backup.stdout).toContain('2 project versions');

    const restoredDir = path.join(tempDir(), 'restored');
    const restore = await runCli(['restore', archive, '--data-dir', restoredDir], { dataDir: tempDir() });
    expect(restore.stderr).not.toContain('stepflow:');
    expect(restore.code).toBe(0);

    const restored = await start({ dataDir: restoredDir });
    expect((await call(restored, 'GET', '/api/projects/site')).currentVersion).toBe(2);
    expect(await treeOf(restored, 2)).toEqual(before.v2);
    // The empty first version is there too: rolling back to it works.
    expect(await treeOf(restored, 1)).toEqual([]);

    const created = await call(restored, 'POST', '/api/executions', { project: 'site', command: './run.sh' });
    const done = await waitFor(
      async () => {
        const detail = await call(restored, 'GET', `/api/executions/${created.id}`);
        return ['succeeded', 'failed'].includes(detail.status) ? detail : undefined;
      },
      'the run in the restored project to end',
      30_000,
    );
    const log = await fetch(`${restored.url}/api/executions/${created.id}/logs?format=text`);
    expect(await log.text()).toContain('run.sh says hello from the backup');
    expect(done.status).toBe('succeeded');
    await call(restored, 'POST', '/api/projects/site/rollback', { version: 1 });
    expect(await treeOf(restored, 1)).toEqual([]);
    expect(fs.existsSync(path.join(restoredDir, 'projects'))).toBe(true);
  });
});
