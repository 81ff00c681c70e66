import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildServer } from '../../src/server/build-server.js';
import { loadServerOptions } from '../../src/server/server-options.js';
import { createStepflow, type Stepflow } from '../../src/stepflow.js';
import { runCli, startCli, waitForOutput } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

const tempDir = useTempDirs();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function testServer(env: NodeJS.ProcessEnv = {}): Promise<TestServer> {
  const server = await startTestServer({ env });
  cleanups.push(async () => {
    // A streamed download may still be finishing server-side; don't wait out the keep-alive.
    server.app.server.closeAllConnections();
    await server.close();
  });
  return server;
}

interface Served {
  stepflow: Stepflow;
  close(): Promise<void>;
}

/** The real server on a fixed port over a data dir that outlives it (to stop and start it again). */
async function serveOn(port: number, dataDir: string): Promise<Served> {
  const stepflow = await createStepflow({ ...loadConfig({}, dataDir), dataDir, killGraceMs: 500 });
  const options = loadServerOptions({ STEPFLOW_LOG_LEVEL: 'silent' }, { port: String(port) });
  const app = await buildServer(stepflow, options, { logger: false });
  await app.listen({ host: '127.0.0.1', port });
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    // Like a crash for the client: requests in flight are cut, acknowledged or not.
    app.server.closeAllConnections();
    await app.close();
    await stepflow.close();
  };
  cleanups.push(close);
  return { stepflow, close };
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const idIn = (stdout: string): string => /([0-9a-hjkmnp-tv-z]{26}) · report/.exec(stdout)?.[1] ?? '';

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url);
  expect(response.status, url).toBe(200);
  return (await response.json()) as T;
}

interface ExecutionBody {
  id: string;
  status: string;
  exitCode: number | null;
  lineCount: number;
  tags: Record<string, string>;
  steps: { name: string; status: string }[];
  artifacts: { id: number; path: string; status: string; kind: string; size: number; sha256: string }[];
  annotations: { level: string; message: string }[];
}

async function allLines(stepflow: Stepflow, id: string): Promise<string[]> {
  const page = await stepflow.store.readLog(id, { limit: 10_000 });
  return page.lines.map((l) => l.text);
}

describe('stepflow run --server', () => {
  it('runs the script here and shows it in the server API with steps, artifacts and every line', async () => {
    const server = await testServer();
    const work = tempDir();
    const spool = tempDir();
    fs.writeFileSync(
      path.join(work, 'job.sh'),
      [
        'echo STEP_START:build',
        'for i in $(seq 1 300); do echo "build line $i"; done',
        'mkdir -p out/site/css',
        "printf 'report body\\n' > out/report.txt",
        "echo '<h1>hi</h1>' > out/site/index.html",
        "echo 'h1{}' > out/site/css/main.css",
        'echo "ARTIFACT:out/report.txt:the report"',
        'echo ARTIFACT:out/site',
        'echo ARTIFACT:out/missing.txt',
        'echo STEP_COMPLETE:build',
        'echo STEP_START:test',
        'echo "::warning file=a.c,line=3::careful"',
        'echo STEP_COMPLETE:test',
      ].join('\n'),
    );
    const run = await runCli(
      ['run', '--name', 'remote job', '--tag', 'team=ops', '--server', server.url, '--', 'bash', 'job.sh'],
      {
        dataDir: path.join(work, 'unused-data'),
        cwd: work,
        env: { STEPFLOW_SPOOL_DIR: spool },
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('build line 300'); // the usual live output
    const id = idIn(run.stdout);
    // Everything delivered: the spool is gone, and nothing was written to the local data dir.
    expect(fs.readdirSync(spool)).toEqual([]);
    expect(fs.existsSync(path.join(work, 'unused-data'))).toBe(false);

    const shown = await getJson<ExecutionBody>(`${server.url}/api/executions/${id}`);
    expect(shown).toMatchObject({
      status: 'succeeded',
      exitCode: 0,
      tags: { team: 'ops', 'stepflow.remote': expect.any(String) },
    });
    expect(shown.steps.map((s) => [s.name, s.status])).toEqual([
      ['build', 'succeeded'],
      ['test', 'succeeded'],
    ]);
    expect(shown.annotations).toMatchObject([{ level: 'warning', message: 'careful' }]);
    expect(shown.artifacts.map((a) => [a.path, a.status])).toEqual([
      ['out/report.txt', 'stored'],
      ['out/site.zip', 'stored'],
      ['out/missing.txt', 'failed'],
    ]);
    const report = await fetch(`${server.url}/api/executions/${id}/artifacts/1`);
    expect(await report.text()).toBe('report body\n');
    const zip = Buffer.from(
      await (await fetch(`${server.url}/api/executions/${id}/artifacts/2`)).arrayBuffer(),
    );
    expect(zip.subarray(0, 2).toString()).toBe('PK');
    expect(createHash('sha256').update(zip).digest('hex')).toBe(shown.artifacts[1]!.sha256);
    expect(zip.includes('css/main.css')).toBe(true);

    const lines = await allLines(server.stepflow, id);
    expect(shown.lineCount).toBe(lines.length);
    expect(lines.filter((l) => l.startsWith('build line'))).toEqual(
      Array.from({ length: 300 }, (_, i) => `build line ${i + 1}`),
    );
  });

  it('sends the first line after a quiet spell at once, not at the next batch interval', async () => {
    const server = await testServer();
    const work = tempDir();
    fs.writeFileSync(
      path.join(work, 'quiet.py'),
      `import time
for i in range(6):
    time.sleep(0.6)
    print(f"after quiet {i} {time.time() * 1000:.1f}", flush=True)
`,
    );
    const latencies: number[] = [];
    const unsubscribe = server.stepflow.app.events.subscribe((event) => {
      if (event.type !== 'log.lines') return;
      for (const line of event.lines) {
        const printedAt = Number(line.text.split(' ')[3]);
        if (Number.isFinite(printedAt)) latencies.push(Date.now() - printedAt);
      }
    });
    try {
      const run = await runCli(['run', '--server', server.url, '--', 'python3', 'quiet.py'], {
        dataDir: tempDir(),
        cwd: work,
        env: { STEPFLOW_SPOOL_DIR: tempDir() },
      });
      expect(run.code).toBe(0);
    } finally {
      unsubscribe();
    }
    latencies.sort((x, y) => x - y);
    console.log(`print after a quiet spell → server: ${latencies.map((l) => l.toFixed(0)).join(', ')} ms`);
    expect(latencies).toHaveLength(6);
    // Batched, each waited for the spool's writer (100 ms) and the reporter's next look (every
    // 200 ms): 70–250 ms measured. Sent on the leading edge it takes a commit and a request.
    expect(latencies[2]!).toBeLessThan(80);
  });

  it('records nulls as nulls (no empty signal or error, no 0 s timeout) and says "reported to" once it was', async () => {
    const server = await testServer();
    const fields = ['status', 'exitCode', 'signal', 'error', 'timeoutSeconds'] as const;
    const record = async (id: string) => {
      const body = await getJson<Record<string, unknown>>(`${server.url}/api/executions/${id}`);
      return Object.fromEntries(fields.map((field) => [field, body[field]]));
    };

    const failed = await runCli(['run', '--server', server.url, '--', 'echo before; exit 3'], {
      dataDir: tempDir(),
      env: { STEPFLOW_SPOOL_DIR: tempDir() },
    });
    expect(failed.code).toBe(3);
    expect(await record(idIn(failed.stdout))).toEqual({
      status: 'failed',
      exitCode: 3,
      signal: null,
      error: 'exited with code 3',
      timeoutSeconds: null,
    });
    // The last word on stdout is the server's acknowledgement, in the summary or right after it.
    expect(failed.stdout.trimEnd().split('\n').at(-1)).toMatch(/ · reported to http:\/\/127\.0\.0\.1:\d+$/);

    const ok = await runCli(['run', '--server', server.url, '--timeout', '60', '--', 'echo fine'], {
      dataDir: tempDir(),
      env: { STEPFLOW_SPOOL_DIR: tempDir() },
    });
    expect(ok.code).toBe(0);
    expect(await record(idIn(ok.stdout))).toEqual({
      status: 'succeeded',
      exitCode: 0,
      signal: null,
      error: null,
      timeoutSeconds: 60,
    });
    // Its lines and steps keep their nulls too (a line before any step has no step).
    const steps = (
      await getJson<{ steps: { endedAt: string | null; error: string | null }[] }>(
        `${server.url}/api/executions/${idIn(ok.stdout)}`,
      )
    ).steps;
    expect(steps.every((step) => step.error === null && step.endedAt !== '')).toBe(true);
  });

  it("reports the run's late threshold (--late-after) and its own estimate to the server", async () => {
    const server = await testServer();
    const run = await runCli(
      [
        'run',
        '--server',
        server.url,
        '--late-after',
        '10m',
        '--',
        'echo META:ESTIMATED_DURATION:75; echo done',
      ],
      { dataDir: tempDir(), env: { STEPFLOW_SPOOL_DIR: tempDir() } },
    );
    expect(run.code).toBe(0);
    const body = await getJson<Record<string, unknown>>(`${server.url}/api/executions/${idIn(run.stdout)}`);
    expect(body).toMatchObject({ lateAfterSeconds: 600, estimatedDurationSeconds: 75 });
  });

  it('keeps running through a server outage, buffers, and delivers every line exactly once', async () => {
    const port = await freePort();
    const serverData = tempDir();
    const spool = tempDir();
    const url = `http://127.0.0.1:${port}`;
    // The server is not up yet when the run starts.
    const cli = startCli(
      ['run', '--server', url, '--', 'for i in $(seq 1 40); do echo "tick $i"; sleep 0.1; done'],
      { dataDir: tempDir(), env: { STEPFLOW_SPOOL_DIR: spool } },
    );
    let stderr = '';
    cli.child.stderr!.on('data', (d: Buffer | string) => (stderr += d.toString()));
    await waitForOutput(cli.child, (out) => out.includes('tick 5'));
    await expect.poll(() => stderr, { timeout: 5000 }).toMatch(/unreachable .*; buffering in /);

    let server = await serveOn(port, serverData);
    await expect
      .poll(async () => (await server.stepflow.store.listExecutions()).items.length, { timeout: 5000 })
      .toBe(1);
    const id = (await server.stepflow.store.listExecutions()).items[0]!.id;
    await expect
      .poll(async () => (await allLines(server.stepflow, id)).length, { timeout: 5000 })
      .toBeGreaterThan(5);

    // Down again mid-run, then back on the same port and data dir.
    await server.close();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    server = await serveOn(port, serverData);
    // The restart must not take the run for an orphan: its owner (the CLI) is alive.
    expect(server.stepflow.recovered).toEqual([]);

    const run = await cli.result;
    expect(run.code).toBe(0);
    expect(stderr).toMatch(/server back; sent \d+ buffered lines/);
    const shown = await server.stepflow.store.getExecution(id);
    expect(shown).toMatchObject({ status: 'succeeded', exitCode: 0, lineCount: 40 });
    expect(await allLines(server.stepflow, id)).toEqual(
      Array.from({ length: 40 }, (_, i) => `tick ${i + 1}`),
    );
    expect(fs.readdirSync(spool)).toEqual([]);
  });

  it('gives up after --server-wait, exits 75 and keeps the spool it names', async () => {
    const port = await freePort();
    const spool = tempDir();
    const run = await runCli(
      ['run', '--server', `http://127.0.0.1:${port}`, '--server-wait', '1', '--', 'echo done-here'],
      {
        dataDir: tempDir(),
        env: { STEPFLOW_SPOOL_DIR: spool },
      },
    );
    expect(run.stdout).toContain('done-here');
    expect(run.code).toBe(75);
    // The server never answered: the summary must not claim the run reached it.
    expect(run.stdout).not.toContain('reported to');
    expect(run.stderr).toMatch(/unreachable \(ECONNREFUSED\); buffering in /);
    const [kept] = fs.readdirSync(spool);
    expect(run.stderr).toContain(`kept in ${path.join(spool, kept!)}`);
    // The spool is an ordinary data dir: the run can be read from it.
    const id = idIn(run.stdout);
    const shown = await runCli(['logs', id], { dataDir: path.join(spool, kept!) });
    expect(shown.stdout).toBe('done-here\n');
  });

  it('sends a kept spool later with `stepflow push`, then removes it', async () => {
    const port = await freePort();
    const spool = tempDir();
    const run = await runCli(
      ['run', '--server', `http://127.0.0.1:${port}`, '--server-wait', '0.5', '--', 'echo one; echo two'],
      { dataDir: tempDir(), env: { STEPFLOW_SPOOL_DIR: spool } },
    );
    expect(run.code).toBe(75);
    // The server was never reached: both lines are counted as buffered, not the 0 read at the start.
    expect(run.stderr).toMatch(/to take 2 buffered lines/);
    const kept = path.join(spool, fs.readdirSync(spool)[0]!);
    expect(run.stderr).toContain(`stepflow push ${kept} --server http://127.0.0.1:${port}`);
    const id = idIn(run.stdout);

    const server = await testServer();
    const pushed = await runCli(['push', kept, '--server', server.url], { dataDir: tempDir() });
    expect(pushed.stderr).toContain(`pushed 1 run to ${server.url}; removed ${kept}`);
    expect(pushed.code).toBe(0);
    expect(fs.existsSync(kept)).toBe(false);
    expect(await server.stepflow.store.getExecution(id)).toMatchObject({ status: 'succeeded', lineCount: 2 });
    expect(await allLines(server.stepflow, id)).toEqual(['one', 'two']);
  });

  it('refuses to push a directory that is not a spool, or without a server', async () => {
    const notSpool = tempDir();
    const refused = await runCli(['push', notSpool, '--server', 'http://127.0.0.1:9'], {
      dataDir: tempDir(),
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${notSpool} is not a spool: it has no stepflow.db`);
    const noServer = await runCli(['push', notSpool], { dataDir: tempDir(), env: { STEPFLOW_SERVER: '' } });
    expect(noServer.code).toBe(2);
    expect(noServer.stderr).toContain('push needs --server URL (or STEPFLOW_SERVER)');
  });

  it('says clearly when the server refuses the token, and still runs the script to the end', async () => {
    const server = await testServer({ STEPFLOW_API_KEY: 'the-right-key' });
    const spool = tempDir();
    const run = await runCli(['run', '--server', server.url, '--', 'echo first; sleep 0.3; echo second'], {
      dataDir: tempDir(),
      env: { STEPFLOW_SPOOL_DIR: spool, STEPFLOW_TOKEN: 'a-wrong-key' },
    });
    expect(run.stdout).toMatch(/first\nsecond\n/);
    expect(run.stderr).toMatch(
      /refused the run: 401 unauthorized: missing or invalid bearer token\. Check --token/,
    );
    expect(run.code).toBe(75);
    expect(fs.readdirSync(spool)).toHaveLength(1);
    expect((await server.stepflow.store.listExecutions()).items).toEqual([]);

    const accepted = await runCli(
      ['run', '--server', server.url, '--token', 'the-right-key', '--', 'echo ok'],
      {
        dataDir: tempDir(),
        env: { STEPFLOW_SPOOL_DIR: spool },
      },
    );
    expect(accepted.code).toBe(0);
    expect((await server.stepflow.store.listExecutions()).items).toHaveLength(1);
  });

  it('gives the script the user’s environment but not the token it reports with', async () => {
    const server = await testServer({ STEPFLOW_API_KEY: 'the-key-5c2e' });
    const run = await runCli(['run', '--server', server.url, '--', 'env'], {
      dataDir: tempDir(),
      env: { STEPFLOW_SPOOL_DIR: tempDir(), STEPFLOW_TOKEN: 'the-key-5c2e', AWS_PROFILE: 'dev-5c2e' },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('AWS_PROFILE=dev-5c2e');
    expect(run.stdout).not.toContain('the-key-5c2e');
    const [recorded] = (await server.stepflow.store.listExecutions()).items;
    const lines = (await allLines(server.stepflow, recorded!.id)).join('\n');
    expect(lines).toContain('AWS_PROFILE=dev-5c2e');
    expect(lines).not.toContain('the-key-5c2e');
  });

  it('rejects a malformed --server URL as usage', async () => {
    const run = await runCli(['run', '--server', 'ftp://x', '--', 'true'], { dataDir: tempDir() });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--server expects an http or https URL/);
  });
});
