import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';
import { useBrowser } from './helpers/browser.js';
import { eventually, openGate, readLogPane, shownSteps } from './helpers/execution-kit.js';

const startServer = useTestServers();
const browser = useBrowser();
const tempDir = useTempDirs();
const clis: { kill(): void }[] = [];
afterEach(() => {
  for (const cli of clis.splice(0)) cli.kill();
});

/** The id of the execution named `name`, once the server's API lists it. */
async function lookUp(server: TestServer, name: string): Promise<string> {
  return eventually(async () => {
    const response = await fetch(`${server.url}/api/executions?q=${encodeURIComponent(name)}`);
    const body = (await response.json()) as { items: { id: string; name: string }[] };
    const found = body.items.find((item) => item.name === name);
    if (!found) throw new Error(`no execution named ${name} yet`);
    return found.id;
  });
}

describe('the execution page of a run in another process', () => {
  it('shows its new lines live and its final status, as for a run of the server', async () => {
    const server = await startServer();
    const dir = tempDir();
    fs.writeFileSync(
      path.join(dir, 'count.sh'),
      `gate() { while [ ! -e "$1.gate" ]; do sleep 0.05; done; }
echo "STEP_START:Count"
gate one
for i in $(seq 1 10); do echo "n $i"; sleep 0.02; done
gate two
for i in $(seq 11 20); do echo "n $i"; sleep 0.02; done
echo "STEP_COMPLETE:Count"
`,
    );
    // `stepflow run` in a terminal on the server's data dir: a second process, its own store writer.
    const cli = startCli(['run', '--name', 'counting elsewhere', '--', 'bash', 'count.sh'], {
      dataDir: server.dataDir,
      cwd: dir,
    });
    clis.push({ kill: () => cli.child.kill('SIGKILL') });
    const id = await lookUp(server, 'counting elsewhere');

    const page = await browser.open(server.url, `/executions/${id}`);
    await page.getByRole('heading', { name: 'counting elsewhere' }).waitFor();
    const status = page.locator('.execution-header .status');
    await eventually(async () => expect(await status.getAttribute('data-status')).toBe('running'));
    await eventually(async () =>
      expect((await shownSteps(page)).map((s) => [s.name, s.status])).toEqual([['Count', 'running']]),
    );

    // Printed after the page opened: they can only come live.
    openGate(dir, 'one');
    await eventually(async () =>
      expect((await readLogPane(page)).map((line) => line.text)).toContain('n 10'),
    );
    expect(await status.getAttribute('data-status')).toBe('running');

    openGate(dir, 'two');
    await page.locator('.execution-header .status[data-status="succeeded"]').waitFor({ timeout: 20_000 });
    expect((await shownSteps(page)).map((s) => [s.name, s.status, s.spinner])).toEqual([
      ['Count', 'succeeded', false],
    ]);
    const numbers = (await readLogPane(page))
      .map((line) => /^n (\d+)$/.exec(line.text)?.[1])
      .filter(Boolean)
      .map(Number);
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await cli.result).code).toBe(0);
  }, 90_000);
});
