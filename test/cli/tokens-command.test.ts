import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { useTempDirs } from '../helpers/temp-dir.js';

/**
 * `stepflow tokens` on the host (docs/USERS.md), and the CLI reaching a server with a user's token
 * in STEPFLOW_TOKEN: created once with its secret printed once, used by `jobs ls --server`,
 * listed without it, revoked → refused. One server on the data dir the commands open.
 */
const tempDir = useTempDirs();
let dataDir: string;
let server: TestServer;

beforeAll(async () => {
  dataDir = tempDir();
  server = await startTestServer({ dataDir });
  await server.stepflow.app.users.add({ name: 'alice', role: 'operator', password: 'correct horse battery' });
});
afterAll(async () => server?.close());

const tokens = (args: string[]) => runCli(['tokens', ...args], { dataDir });
const jobsLs = (token: string) =>
  runCli(['jobs', 'ls', '--server', server.url], { dataDir, env: { STEPFLOW_TOKEN: token } });

describe('stepflow tokens', () => {
  it("creates a user's token (secret printed once), the CLI reaches the server with it, ls shows no secret, revoke ends it", async () => {
    const created = await tokens(['create', '--user', 'alice', '--name', 'ci', '--expires-days', '30']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const secret = /^(sft_[\w-]{43})$/m.exec(created.stdout)?.[1];
    expect(secret, created.stdout).toBeDefined();
    const id = /\(id ([\w-]+), expires/.exec(created.stdout)?.[1] ?? '';

    const refused = await jobsLs('');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('unauthorized');
    const listed = await jobsLs(secret!);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);

    const table = await tokens(['ls', '--user', 'alice']);
    expect(table.stdout).toMatch(/^ID +NAME +CREATED +LAST USED +EXPIRES +STATE\n/);
    expect(table.stdout).toMatch(new RegExp(`^${id} +ci +.+ active\\n`, 'm'));
    expect(table.stdout).not.toMatch(/ci +\S+ \S+ +never/);
    const json = await tokens(['ls', '--user', 'alice', '--json']);
    expect(json.stdout).not.toContain(secret!.slice(4));

    expect(await tokens(['revoke', id])).toMatchObject({ code: 0, stdout: 'revoked token ci of alice\n' });
    const revoked = await jobsLs(secret!);
    expect(revoked.code).not.toBe(0);
    expect(revoked.stderr).toContain('unauthorized');
    const unknown = await tokens(['create', '--user', 'nobody', '--name', 'x']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('not_found: user "nobody" not found');
  });
});
