import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listeningUrl, ROOT, SERVER_ENV, startCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { startTestServer } from '../helpers/test-server.js';

const BIN = path.join(ROOT, 'bin/stepflow.js');
const tempDir = useTempDirs();

/** The built CLI as a real process, `input` on its stdin. */
function users(args: string[], dataDir: string, input = '') {
  const result = spawnSync(process.execPath, [BIN, 'users', ...args], {
    cwd: dataDir,
    input,
    env: { ...process.env, NO_COLOR: '1', STEPFLOW_SERVER: '', STEPFLOW_STORAGE_PATH: dataDir },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Signs in on a server opened on `dataDir`; the HTTP status. */
async function signInStatus(dataDir: string, name: string, password: string): Promise<number> {
  const server = await startTestServer({ dataDir });
  try {
    const response = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, password }),
    });
    return response.status;
  } finally {
    await server.close();
  }
}

describe('stepflow users', () => {
  it('adds users with --password-stdin, lists them (table and --json), never shows a hash', async () => {
    const dataDir = tempDir();
    expect(users(['ls'], dataDir).stdout).toMatch(/^no users: the server is open on loopback only/);
    const add = users(
      ['add', '--name', 'alice', '--role', 'admin', '--password-stdin'],
      dataDir,
      's3cret-pass\n',
    );
    expect(add.stderr).toBe('');
    expect(add).toMatchObject({ code: 0, stdout: 'added alice (admin)\n' });
    const bob = users(
      ['add', '--name', 'bob', '--role', 'viewer', '--password-stdin'],
      dataDir,
      'bob-password',
    );
    expect(bob.code, bob.stderr).toBe(0);

    const table = users(['ls'], dataDir);
    expect(table.stdout).toMatch(
      /^NAME +ROLE +CREATED\nalice +admin +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\nbob +viewer +/,
    );
    const json = JSON.parse(users(['ls', '--json'], dataDir).stdout) as unknown[];
    expect(json).toEqual([
      { name: 'alice', role: 'admin', createdAt: expect.any(String), disabled: false },
      { name: 'bob', role: 'viewer', createdAt: expect.any(String), disabled: false },
    ]);
    expect(JSON.stringify(json)).not.toMatch(/scrypt|s3cret/);
    // The password is not kept in clear anywhere in the database.
    const files = fs.readdirSync(dataDir).filter((f) => f.startsWith('stepflow.db'));
    for (const file of files)
      expect(fs.readFileSync(path.join(dataDir, file)).includes('s3cret-pass')).toBe(false);
    // The trailing newline was not part of the password.
    expect(await signInStatus(dataDir, 'alice', 's3cret-pass')).toBe(200);
  });

  it('refuses bad input with code: message and exit 1 or 2', () => {
    const dataDir = tempDir();
    const root = users(['add', '--name', 'x', '--role', 'root', '--password-stdin'], dataDir, 'long-enough');
    expect(root.code).toBe(1);
    expect(root.stderr).toContain('validation_failed: role must be one of admin, operator, viewer');
    const short = users(['add', '--name', 'x', '--role', 'viewer', '--password-stdin'], dataDir, 'short');
    expect(short.stderr).toContain('validation_failed: password must be 8 to 1024 characters');
    const noTty = users(['add', '--name', 'x', '--role', 'viewer'], dataDir);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toContain('pass --password-stdin');
    users(['add', '--name', 'x', '--role', 'admin', '--password-stdin'], dataDir, 'long-enough');
    const twice = users(
      ['add', '--name', 'x', '--role', 'viewer', '--password-stdin'],
      dataDir,
      'long-enough',
    );
    expect(twice.stderr).toContain('conflict: a user named "x" already exists');
    expect(users(['rm', 'nobody'], dataDir).stderr).toContain('not_found: user "nobody" not found');
    expect(users(['ls', '--json'], dataDir).stdout).toContain('"name": "x"');
  });

  it('changes roles and passwords, removes users, and never removes or demotes the last admin', async () => {
    const dataDir = tempDir();
    users(['add', '--name', 'root', '--role', 'admin', '--password-stdin'], dataDir, 'first-password');
    expect(users(['role', 'root', 'viewer'], dataDir).stderr).toContain('conflict: root is the last admin');
    expect(users(['rm', 'root'], dataDir).stderr).toContain('conflict: root is the last admin');
    users(['add', '--name', 'carol', '--role', 'viewer', '--password-stdin'], dataDir, 'carol-password');
    expect(users(['role', 'carol', 'admin'], dataDir).stdout).toBe('carol is now admin\n');
    expect(users(['role', 'root', 'operator'], dataDir).code).toBe(0);
    expect(users(['passwd', 'root', '--password-stdin'], dataDir, 'second-password').code).toBe(0);
    expect(await signInStatus(dataDir, 'root', 'first-password')).toBe(401);
    expect(await signInStatus(dataDir, 'root', 'second-password')).toBe(200);
    expect(users(['rm', 'root'], dataDir).stdout).toBe('removed root (its sessions ended)\n');
    expect(JSON.parse(users(['ls', '--json'], dataDir).stdout)).toEqual([
      expect.objectContaining({ name: 'carol', role: 'admin' }),
    ]);
  });

  it('asks for the password twice on a terminal, without echoing it', async () => {
    const dataDir = tempDir();
    const command = [process.execPath, BIN, 'users', 'add', '--name', 'tty', '--role', 'operator']
      .map((word) => `'${word}'`)
      .join(' ');
    // util-linux `script` gives the CLI a real pseudo-terminal; what we write goes to it as typed.
    const child = spawn('/usr/bin/script', ['-qfec', command, '/dev/null'], {
      env: { ...process.env, NO_COLOR: '1', STEPFLOW_SERVER: '', STEPFLOW_STORAGE_PATH: dataDir },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let screen = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk));
    const waitFor = async (text: string): Promise<void> => {
      for (let i = 0; i < 200 && !screen.includes(text); i++) await new Promise((r) => setTimeout(r, 50));
      expect(screen).toContain(text);
    };
    await waitFor('Password for tty: ');
    child.stdin.write('typed-secret\r');
    await waitFor('Again: ');
    child.stdin.write('typed-secret\r');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(screen).toContain('added tty (operator)');
    expect(screen).not.toContain('typed-secret');
    expect(code).toBe(0);
    expect(await signInStatus(dataDir, 'tty', 'typed-secret')).toBe(200);
  });

  it('STEPFLOW_ADMIN_PASSWORD on a first start creates admin (logged, the password never), and lets the server bind any address', async () => {
    const dataDir = tempDir();
    const password = `first-start-${Date.now()}`;
    const { child, result } = startCli(['server', '--host', '0.0.0.0', '--port', '0'], {
      dataDir,
      env: { ...SERVER_ENV, STEPFLOW_LOG_LEVEL: 'info', STEPFLOW_ADMIN_PASSWORD: password },
    });
    try {
      const url = (await listeningUrl(child, 20_000)).replace('0.0.0.0', '127.0.0.1');
      expect((await fetch(`${url}/api/executions`)).status).toBe(401);
      const signIn = await fetch(`${url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'admin', password }),
      });
      expect(await signIn.json()).toMatchObject({ kind: 'user', name: 'admin', role: 'admin' });
    } finally {
      child.kill('SIGTERM');
    }
    const { stdout, stderr } = await result;
    expect(stdout).toContain('created user admin (role admin) from STEPFLOW_ADMIN_PASSWORD');
    expect(stdout + stderr).not.toContain(password);
    // Users exist now: the next start on a public address needs no password and no key.
    const again = startCli(['server', '--host', '0.0.0.0', '--port', '0'], { dataDir, env: SERVER_ENV });
    await listeningUrl(again.child, 20_000);
    again.child.kill('SIGTERM');
    expect((await again.result).stdout).not.toContain('created user admin');
  }, 60_000);
});
