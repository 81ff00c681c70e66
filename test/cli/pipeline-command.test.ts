import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, runCli, type CliResult } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

/**
 * `stepflow pipeline validate|save|ls|show|rm` as a user runs them (docs/PIPELINES.md): validate
 * checks a file or stdin with no server (exit 0, 1 with FILE:LINE:COLUMN lines, 2 on usage); the
 * others go through a real server's API. One server for the file.
 */
const tempDir = useTempDirs();
let dir: string;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());
beforeEach(() => {
  dir = tempDir();
});

const GOOD = `# the issue's example
name: nightly-train
env: { DATASET: s3://bucket/day }
nodes:
  fetch:    { run: ./fetch.sh }
  prep-a:   { run: python3 prep.py a, needs: [fetch] }
  prep-b:   { run: python3 prep.py b, needs: [fetch], retry: { max: 2 } }
  train:    { run: python3 train.py, needs: [prep-a, prep-b], timeout: 3600, runsOn: [gpu] }
  report:   { run: ./report.sh, needs: [train], if: always }
`;
const BAD =
  'name: broken\nnodes:\n  a: { run: a, needs: [c] }\n  b: { run: b, needs: [a], neds: [x] }\n  c: { run: c, needs: [b] }\n';

const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const cli = (args: string[]) => runCli(['pipeline', ...args], { dataDir: dir, cwd: dir });
const remote = (args: string[]) => cli([...args, '--server', server.url]);

/** The CLI with `input` on its stdin. */
function cliWithStdin(args: string[], input: string): Promise<CliResult> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/stepflow.js'), 'pipeline', ...args], {
    env: { ...process.env, NO_COLOR: '1', STEPFLOW_SERVER: '', STEPFLOW_STORAGE_PATH: dir },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(input);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

describe('stepflow pipeline', () => {
  it('validate: ok with the figures, or every problem as FILE:LINE:COLUMN, from a file or stdin', async () => {
    write('good.yml', GOOD);
    write('bad.yml', BAD);
    expect(await cli(['validate', 'good.yml'])).toMatchObject({
      code: 0,
      stdout: 'ok: 5 nodes, 4 levels\n',
      stderr: '',
    });
    expect(await cli(['validate', 'bad.yml'])).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'bad.yml:4:24: nodes.b.needs[0]: cycle: a → c → b → a\n' +
        'bad.yml:4:28: nodes.b.neds: unknown key `neds` (did you mean `needs`?)\n',
    });
    expect(
      await cliWithStdin(['validate', '-'], 'name: one\nnodes:\n  only: { run: "true" }\n'),
    ).toMatchObject({
      code: 0,
      stdout: 'ok: 1 node, 1 level\n',
    });
    expect(await cliWithStdin(['validate', '-'], 'name: one\nnodes: [a]\n')).toMatchObject({
      code: 1,
      stderr: '<stdin>:2:8: nodes: must be a map (`key: value` lines or `{ … }`)\n',
    });
  });

  it('validate: exit 2 on a usage error (no file, a file that cannot be read)', async () => {
    const missingArgument = await cli(['validate']);
    expect(missingArgument.code).toBe(2);
    expect(missingArgument.stderr).toContain("missing required argument 'file'");
    const unreadable = await cli(['validate', 'nowhere.yml']);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain('cannot read nowhere.yml: ENOENT');
  });

  it('save, ls, show and rm go through the server; a bad file is refused with its lines, nothing saved', async () => {
    write('nightly.yml', GOOD);
    expect(await remote(['save', 'nightly.yml'])).toMatchObject({
      code: 0,
      stdout: 'saved pipeline nightly-train: 5 nodes, 4 levels\n',
    });
    // Saving again replaces it.
    expect((await remote(['save', 'nightly.yml'])).code).toBe(0);
    write('broken.yml', BAD);
    expect(await remote(['save', 'broken.yml'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('broken.yml:4:24: nodes.b.needs[0]: cycle: a → c → b → a\n'),
    });

    const listed = await remote(['ls']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      /^NAME +NODES +LEVELS +UPDATED\nnightly-train +5 +4 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$/,
    );
    expect(await remote(['show', 'nightly-train'])).toMatchObject({ code: 0, stdout: GOOD });
    expect(JSON.parse((await remote(['ls', '--json'])).stdout)).toMatchObject([
      { name: 'nightly-train', nodes: 5 },
    ]);

    expect(await remote(['rm', 'nightly-train'])).toMatchObject({
      code: 0,
      stdout: 'deleted pipeline nightly-train\n',
    });
    const gone = await remote(['show', 'nightly-train']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('not_found: pipeline "nightly-train" not found');
    expect((await remote(['ls'])).stdout).toContain('No saved pipelines yet');
  });
});
