import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { startTestServer } from '../helpers/test-server.js';

const BIN = path.join(ROOT, 'bin/stepflow.js');
const tempDir = useTempDirs();
const PASSWORD = 'correct horse battery';

/** The built CLI as a real process on `dataDir`, `input` on its stdin. */
function stepflow(args: string[], dataDir: string, input = '') {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dataDir,
    input,
    env: { ...process.env, NO_COLOR: '1', STEPFLOW_SERVER: '', STEPFLOW_STORAGE_PATH: dataDir },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('stepflow audit', () => {
  it("records the CLI's user changes as local, shows the server's entries too, filters, and a run says who started it", async () => {
    const dataDir = tempDir();
    const add = (name: string, role: string) =>
      stepflow(['users', 'add', '--name', name, '--role', role, '--password-stdin'], dataDir, PASSWORD);
    expect(add('alice', 'admin').code).toBe(0);
    // The last admin cannot be demoted: a failed change is recorded too.
    expect(stepflow(['users', 'role', 'alice', 'viewer'], dataDir).code).not.toBe(0);
    expect(add('bob', 'operator').code).toBe(0);
    expect(stepflow(['users', 'role', 'bob', 'admin'], dataDir).code).toBe(0);
    expect(stepflow(['users', 'rm', 'nobody'], dataDir).code).not.toBe(0);

    // A run from this terminal is the OS user's.
    expect(stepflow(['run', '--', 'true'], dataDir).code).toBe(0);
    const [run] = (JSON.parse(stepflow(['ls', '--json'], dataDir).stdout) as { items: { id: string }[] })
      .items;
    const shown = stepflow(['show', run!.id], dataDir).stdout;
    expect(shown).toMatch(new RegExp(`^  by +${os.userInfo().username}$`, 'm'));

    // A failed sign-in on a server over the same data dir.
    const server = await startTestServer({ dataDir });
    try {
      const refused = await fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'bob', password: 'wrong password' }),
      });
      expect(refused.status).toBe(401);
    } finally {
      await server.close();
    }

    const lines = stepflow(['audit', '--json'], dataDir).stdout.trim().split('\n');
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.map((e) => [e.actor, e.via, e.ip, e.action, e.objectId, e.outcome, e.errorCode])).toEqual([
      ['anonymous', 'api', '127.0.0.1', 'auth.login_failed', 'bob', 'denied', 'unauthorized'],
      ['local', 'cli', null, 'user.delete', 'nobody', 'failed', 'not_found'],
      ['local', 'cli', null, 'user.update', 'bob', 'ok', null],
      ['local', 'cli', null, 'user.create', 'bob', 'ok', null],
      ['local', 'cli', null, 'user.update', 'alice', 'failed', 'conflict'],
      ['local', 'cli', null, 'user.create', 'alice', 'ok', null],
    ]);
    expect(lines.join('\n')).not.toContain(PASSWORD);

    const table = stepflow(
      ['audit', '--actor', 'local', '--action', 'user.', '--since', '1h', '--limit', '2'],
      dataDir,
    );
    expect(table.stdout).toMatch(
      /^TIME +ACTOR +FROM +ACTION +OBJECT +OUTCOME\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +local +cli +user\.delete +nobody +failed \(not_found\)\n.+user\.update +bob +ok\n… older entries/,
    );
    expect(
      stepflow(['audit', '--outcome', 'denied', '--json'], dataDir).stdout.trim().split('\n'),
    ).toHaveLength(1);
    const bad = stepflow(['audit', '--action', 'RUN'], dataDir);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/validation_failed: action must be/);
  });
});
