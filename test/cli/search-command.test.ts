import { describe, expect, it } from 'vitest';
import type { RunSearchPageBody } from '../../src/protocol/run-search-schemas.js';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { startExecution, waitForStatus } from '../server/execution-api-client.js';

const tempDir = useTempDirs();
const startServer = useTestServers();

describe('stepflow search', () => {
  it('prints each run with a match, its counts and numbered matching lines; exits 1 when nothing matches', async () => {
    const dataDir = tempDir();
    const run = async (name: string, command: string) =>
      expect((await runCli(['run', '--name', name, '--', command], { dataDir })).code).not.toBeNull();
    await run(
      'deploy-eu',
      'echo STEP_START:Upload; echo "upload: Permission denied"; echo ok; echo "again permission DENIED"; exit 1',
    );
    await run('deploy-us', 'echo "all fine"');
    await run('backup', 'echo "tar: permission denied on /root"');

    const found = await runCli(['search', 'permission denied'], { dataDir });
    expect(found.code, found.stderr).toBe(0);
    const lines = found.stdout.split('\n');
    const eu = lines.findIndex((l) => l.includes('deploy-eu'));
    const backup = lines.findIndex((l) => l.includes('backup'));
    expect(backup).toBeGreaterThanOrEqual(0);
    expect(eu).toBeGreaterThan(backup); // newest first
    expect(lines[backup]).toContain('1 match in 1 line');
    expect(lines[backup + 1]).toMatch(/^ {2}L1 +\[Set up\] tar: permission denied on \/root$/);
    expect(lines[eu]).toMatch(/failed .*deploy-eu .*2 matches in 2 lines/);
    expect(lines[eu + 1]).toMatch(/^ {2}L2 +\[Upload\] upload: Permission denied$/);
    expect(lines[eu + 2]).toMatch(/^ {2}L4 +\[Upload\] again permission DENIED$/);
    expect(found.stdout).not.toContain('deploy-us');

    const failedOnly = await runCli(
      ['search', 'permission denied', '--status', 'failed', '--since', '1h', '--json'],
      {
        dataDir,
      },
    );
    expect(failedOnly.code).toBe(0);
    const page = JSON.parse(failedOnly.stdout) as RunSearchPageBody;
    expect(page.items.map((i) => [i.execution.name, i.total, i.lines.map((l) => l.seq)])).toEqual([
      ['deploy-eu', 2, [2, 4]],
    ]);

    const none = await runCli(['search', 'no such text'], { dataDir });
    expect(none).toMatchObject({ code: 1, stdout: '' });
    expect(none.stderr).toContain('No run\'s log holds "no such text"');
    const tooShort = await runCli(['search', 'ok'], { dataDir });
    expect(tooShort.code).toBe(2);
    expect(tooShort.stderr).toContain('at least 3 characters');
    const badSince = await runCli(['search', 'permission', '--since', 'yesterday'], { dataDir });
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toContain('since must be');
  });

  it('searches a server with --server, with the same output', async () => {
    const server = await startServer();
    const { id } = await startExecution(server.url, { command: 'echo "Disk quota exceeded"', name: 'quota' });
    await waitForStatus(server.url, id, undefined, 15_000);
    const found = await runCli(['search', 'QUOTA EXCEEDED', '--server', server.url], { dataDir: tempDir() });
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toContain(`${id}`);
    expect(found.stdout).toMatch(/L1 +\[Set up\] Disk quota exceeded/);
    const none = await runCli(['search', 'nothing like it', '--server', server.url], { dataDir: tempDir() });
    expect(none.code).toBe(1);
  });
});
