import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';

const tempDir = useTempDirs();
const startServer = useTestServers();

interface Page {
  items: { id: string; name: string; status: string }[];
  nextCursor: string | null;
}

/** The CLI as a user without STEPFLOW_STORAGE_PATH runs it: HOME decides where data lives. */
const asUser = (home: string, cwd: string, env: Record<string, string> = {}) => ({
  dataDir: '',
  cwd,
  env: { HOME: home, XDG_DATA_HOME: '', ...env },
});

describe('the data dir is the same from any folder', () => {
  it('keeps runs under ~/.local/share/stepflow by default, and under $XDG_DATA_HOME/stepflow when set', async () => {
    const home = tempDir();
    const [here, there] = [tempDir(), tempDir()];
    expect((await runCli(['run', '--name', 'from-here', '--', 'true'], asUser(home, here))).code).toBe(0);
    const ls = await runCli(['ls', '--json'], asUser(home, there));
    expect(ls.code).toBe(0);
    expect((JSON.parse(ls.stdout) as Page).items.map((e) => e.name)).toEqual(['from-here']);
    expect(fs.existsSync(path.join(home, '.local/share/stepflow/stepflow.db'))).toBe(true);
    expect(fs.existsSync(path.join(here, 'stepflow-data'))).toBe(false);

    const xdg = tempDir();
    await runCli(['run', '--name', 'xdg', '--', 'true'], asUser(home, here, { XDG_DATA_HOME: xdg }));
    expect(fs.existsSync(path.join(xdg, 'stepflow/stepflow.db'))).toBe(true);
  });

  it('still uses a ./stepflow-data of an older version, and says how to move it', async () => {
    const home = tempDir();
    const project = tempDir();
    const legacy = path.join(project, 'stepflow-data');
    // As StepFlow before 0.2 left it: the data dir relative to where it ran.
    await runCli(['run', '--name', 'old-run', '--', 'true'], { dataDir: legacy, cwd: project });

    const ls = await runCli(['ls', '--json'], asUser(home, project));
    expect(ls.code).toBe(0);
    expect((JSON.parse(ls.stdout) as Page).items.map((e) => e.name)).toEqual(['old-run']);
    const target = path.join(home, '.local/share/stepflow');
    expect(ls.stderr).toContain(`using ./stepflow-data here (${legacy})`);
    expect(ls.stderr).toContain(`mv "${legacy}" "${target}"`);
    expect(ls.stderr).toContain(`STEPFLOW_STORAGE_PATH=${legacy}`);

    // Following the advice: the history is found from anywhere, and the notice is gone.
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.renameSync(legacy, target);
    const moved = await runCli(['ls', '--json'], asUser(home, tempDir()));
    expect((JSON.parse(moved.stdout) as Page).items.map((e) => e.name)).toEqual(['old-run']);
    expect(moved.stderr).toBe('');
  });

  it('names the data dir it searched when an execution is not there', async () => {
    const dataDir = tempDir();
    const shown = await runCli(['show', '01nosuchexecution'], { dataDir });
    expect(shown.code).toBe(1);
    expect(shown.stderr).toContain(`execution "01nosuchexecution" not found in the data dir ${dataDir}`);
  });
});

describe('ls, show, logs and cancel reach a server with --server or STEPFLOW_SERVER', () => {
  it("lists, shows and prints the server's runs from a machine with none of its own", async () => {
    const server = await startServer();
    const created = await fetch(`${server.url}/api/executions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'on-server',
        command: 'echo STEP_START:greet; echo hello; echo STEP_COMPLETE:greet',
      }),
    });
    const { id } = (await created.json()) as { id: string };
    const elsewhere = { dataDir: tempDir() };

    const logs = await runCli(['logs', id, '--follow', '--server', server.url], elsewhere);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toBe('STEP_START:greet\nhello\nSTEP_COMPLETE:greet\n');
    const step = await runCli(['logs', id, '--step', 'greet', '--server', server.url], elsewhere);
    expect(step.stdout).toContain('hello\n');

    const ls = await runCli(['ls', '--json'], { ...elsewhere, env: { STEPFLOW_SERVER: server.url } });
    expect((JSON.parse(ls.stdout) as Page).items.map((e) => [e.id, e.status])).toEqual([[id, 'succeeded']]);
    const table = await runCli(['ls', '--server', server.url], elsewhere);
    expect(table.stdout).toMatch(/succeeded.*on-server/);

    const show = await runCli(['show', id, '--server', server.url], elsewhere);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('on-server');
    expect(show.stdout).toMatch(/✓ greet/);

    // The local data dir stays empty: nothing was read from it or written to it.
    const local = await runCli(['ls', '--json'], elsewhere);
    expect((JSON.parse(local.stdout) as Page).items).toEqual([]);

    const missing = await runCli(['show', '01nosuchexecution', '--server', server.url], elsewhere);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`execution "01nosuchexecution" not found in the server ${server.url}`);
  });

  it("cancels a server's run and waits for its end", async () => {
    const server = await startServer();
    const created = await fetch(`${server.url}/api/executions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'long', command: 'sleep 60' }),
    });
    const { id } = (await created.json()) as { id: string };
    const cancel = await runCli(['cancel', id, '--server', server.url], { dataDir: tempDir() });
    expect(cancel.stderr).toBe('');
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toContain('cancelled');
    const after = (await (await fetch(`${server.url}/api/executions/${id}`)).json()) as { status: string };
    expect(after.status).toBe('cancelled');
  });

  it('says which server it could not reach', async () => {
    const result = await runCli(['ls', '--server', 'http://127.0.0.1:9'], { dataDir: tempDir() });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /server_unreachable: cannot reach the StepFlow server at http:\/\/127\.0\.0\.1:9/,
    );
  });
});
