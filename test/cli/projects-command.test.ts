import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeZip, patchName } from '../helpers/archives.js';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';

const tempDir = useTempDirs();
const startServer = useTestServers();

/**
 * `stepflow projects` and `stepflow run --project` against a real server (docs/WORKSPACE.md):
 * create from a ZIP, upload a new version, list versions, run in the project (its log here, its
 * version on `show`), roll back, a refused archive, remove.
 */
describe('stepflow projects', () => {
  it('create --from, upload, versions, run --project, show names the version, rollback, rm', async () => {
    const { url } = await startServer();
    const dataDir = tempDir();
    const env = { STEPFLOW_SERVER: url };
    const dir = tempDir();
    const v1 = path.join(dir, 'v1.zip');
    fs.writeFileSync(
      v1,
      await makeZip([
        { name: 'hello.sh', content: 'echo "hello from $(cat which.txt)"\n' },
        { name: 'which.txt', content: 'first' },
      ]),
    );
    const v2 = path.join(dir, 'v2.zip');
    fs.writeFileSync(
      v2,
      await makeZip([
        { name: 'hello.sh', content: 'echo "hello from $(cat which.txt)"\n' },
        { name: 'which.txt', content: 'second' },
      ]),
    );

    const created = await runCli(['projects', 'create', 'demo', '--from', v1], { dataDir, env });
    expect(created.stderr).toBe('');
    expect(created.stdout).toContain('created project demo: version 2, 2 files');
    const uploaded = await runCli(['projects', 'upload', 'demo', v2], { dataDir, env });
    expect(uploaded.stdout).toContain('uploaded demo version 3 (now current)');
    const versions = await runCli(['projects', 'versions', 'demo'], { dataDir, env });
    expect(versions.stdout).toMatch(/^3 \(current\)\s+\S+\s+local\s+upload\s+2 files/m);
    expect(versions.stdout).toMatch(/^1\s+\S+\s+local\s+empty/m);

    const run = await runCli(['run', '--project', 'demo', '--', 'sh hello.sh'], { dataDir, env });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('hello from second');
    expect(run.stderr).toContain('in project demo version 3');
    const id = /(\S+) submitted to/.exec(run.stderr)?.[1] ?? '';
    const show = await runCli(['show', id, '--server', url], { dataDir });
    expect(show.stdout).toMatch(/project\s+demo version 3/);

    expect((await runCli(['projects', 'rollback', 'demo', '2'], { dataDir, env })).stdout).toContain(
      'version 2 is current again',
    );
    const again = await runCli(['run', '--project', 'demo', '--', 'sh hello.sh'], { dataDir, env });
    expect(again.stdout).toContain('hello from first');

    const evil = path.join(dir, 'evil.zip');
    fs.writeFileSync(
      evil,
      patchName(await makeZip([{ name: 'xx/escape.txt', content: 'x' }]), 'xx/escape.txt', '../escape.txt'),
    );
    const refused = await runCli(['projects', 'upload', 'demo', evil], { dataDir, env });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('archive_rejected: entry "../escape.txt" refused (path)');

    const ls = await runCli(['projects', 'ls', '--json'], { dataDir, env });
    expect(JSON.parse(ls.stdout)).toMatchObject([{ name: 'demo', currentVersion: 2 }]);
    expect((await runCli(['projects', 'rm', 'demo'], { dataDir, env })).code).toBe(0);
    expect((await runCli(['projects', 'ls'], { dataDir, env })).stdout).toContain('No projects yet');
  }, 90_000);
});
