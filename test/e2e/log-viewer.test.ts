import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { LineFlag, type LogLine } from '../../src/core/model.js';
import type { ExecutionDetailBody } from '../../src/protocol/api-schemas.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';
import { saveScreenshot, useBrowser } from './helpers/browser.js';

const startServer = useTestServers();
const browser = useBrowser();

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts `script` (bash) through the API; returns its id. */
async function run(server: TestServer, name: string, script: string): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-log-viewer-'));
  dirs.push(dir);
  const file = path.join(dir, 'script.sh');
  fs.writeFileSync(file, script);
  const response = await fetch(`${server.url}/api/executions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ command: `bash ${file}`, name, cwd: dir }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

async function detail(server: TestServer, id: string): Promise<ExecutionDetailBody> {
  return (await (await fetch(`${server.url}/api/executions/${id}`)).json()) as ExecutionDetailBody;
}

/** Polls until the execution ended (its lines are then all stored). */
async function finished(server: TestServer, id: string, timeoutMs = 20_000): Promise<ExecutionDetailBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const execution = await detail(server, id);
    if (!['queued', 'running'].includes(execution.status)) return execution;
    if (Date.now() > deadline) throw new Error(`execution ${id} still ${execution.status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const header = (page: Page, name: string) => page.locator('.log-step', { hasText: name });
const line = (page: Page, seq: number) => page.locator(`.log-line[data-seq="${seq}"]`);

/** True when the row is inside the scroller's visible box. */
async function inView(page: Page, seq: number): Promise<boolean> {
  return page.evaluate((wanted) => {
    const row = document.querySelector(`.log-line[data-seq="${wanted}"]`);
    const scroller = document.querySelector('[data-testid="log-scroller"]');
    if (!row || !scroller) return false;
    const a = row.getBoundingClientRect();
    const b = scroller.getBoundingClientRect();
    return a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  }, seq);
}

const COLOURFUL = `
echo "STEP_START:Install"
printf '\\033[32mgreen ok\\033[0m then \\033[1;31mbold red\\033[0m and \\033[38;5;208morange 256\\033[0m \\033[38;2;120;90;200mtrue violet\\033[0m\\n'
echo '<img src=x onerror=alert(1)>'
echo "STEP_COMPLETE:Install"
echo "STEP_START:Build"
echo "compiling 12 modules"
echo "STEP_START:Bundle"
printf '\\033[36mbundle.js\\033[0m  \\033[2m412 kB\\033[0m\\n'
echo "STEP_COMPLETE:Bundle"
echo "linking"
echo "STEP_COMPLETE:Build"
echo "STEP_START:Test"
for i in 1 2 3; do printf '\\033[32m✓\\033[0m test %s passed\\n' "$i"; done
printf '\\033[33mwarning:\\033[0m \\033[4mslow test\\033[0m\\n'
echo "STEP_COMPLETE:Test"
`;

describe('the log viewer', () => {
  it('renders ANSI colours as styled spans and hostile HTML as text, in sections that collapse and expand', async () => {
    const server = await startServer();
    const id = await run(server, 'Colourful build', COLOURFUL);
    await finished(server, id);
    const page = await browser.open(server.url, `/executions/${id}`);
    let dialogs = 0;
    page.on('dialog', (dialog) => {
      dialogs++;
      void dialog.dismiss();
    });

    // A run of several successful steps opens with them collapsed, like GitHub Actions.
    const install = header(page, 'Install');
    await expect.poll(() => install.getAttribute('aria-expanded')).toBe('false');
    await expect.poll(() => page.locator('.log-line', { hasText: 'green ok' }).count()).toBe(0);

    await install.click();
    await expect.poll(() => install.getAttribute('aria-expanded')).toBe('true');
    const green = page.locator('.log-line span.ansi-green-fg', { hasText: 'green ok' });
    await green.waitFor();
    const colourOf = (selector: string) =>
      page
        .locator(selector)
        .first()
        .evaluate((element) => getComputedStyle(element).color);
    expect(await colourOf('.log-line span.ansi-green-fg')).not.toBe(await colourOf('.log-line .log-text'));
    const boldRed = page.locator('span.ansi-red-fg.ansi-bold', { hasText: 'bold red' });
    expect(await boldRed.evaluate((element) => getComputedStyle(element).fontWeight)).toBe('700');
    expect(await page.locator('span', { hasText: /^orange 256$/ }).getAttribute('style')).toContain(
      'rgb(255, 135, 0)',
    );
    expect(await page.locator('span', { hasText: /^true violet$/ }).getAttribute('style')).toContain(
      'rgb(120, 90, 200)',
    );
    // The escape codes themselves never show.
    expect(await page.locator('.log-line', { hasText: 'green ok' }).innerText()).not.toContain('[32m');

    // Marker lines are dimmed.
    expect(await line(page, 1).getAttribute('class')).toContain('log-marker');
    expect(await line(page, 2).getAttribute('class')).not.toContain('log-marker');

    const hostile = page.locator('.log-line', { hasText: '<img src=x onerror=alert(1)>' });
    await hostile.waitFor();
    expect(await page.locator('.log-viewer img').count()).toBe(0);
    expect(dialogs).toBe(0);

    // Nested steps: Bundle sits inside Build, indented, and hides with it.
    await header(page, 'Build').click();
    const bundle = header(page, 'Bundle');
    await bundle.waitFor();
    const indent = async (name: string) =>
      header(page, name).evaluate((element) => parseFloat(getComputedStyle(element).paddingLeft));
    expect(await indent('Bundle')).toBeGreaterThan(await indent('Build'));
    await bundle.press('Enter');
    await page.locator('.log-line', { hasText: 'bundle.js' }).waitFor();
    await header(page, 'Build').click();
    await expect.poll(() => bundle.count()).toBe(0);
    await expect.poll(() => page.locator('.log-line', { hasText: 'bundle.js' }).count()).toBe(0);

    // Collapse again hides the lines.
    await install.click();
    await expect.poll(() => page.locator('.log-line', { hasText: 'green ok' }).count()).toBe(0);

    // Open everything for the screenshot.
    // (Bundle stays open from before: a step remembers what the user chose.)
    for (const name of ['Install', 'Build', 'Test']) await header(page, name).click();
    await page.locator('.log-line', { hasText: 'slow test' }).waitFor();
    await page.locator('.log-line', { hasText: 'bundle.js' }).waitFor();
    await saveScreenshot(page, 'execution-log');
  });

  it(
    'searches the whole log with an exact count, expanding collapsed steps, and moves with next and previous',
    { timeout: 90_000 },
    async () => {
      const server = await startServer();
      const id = await run(
        server,
        'Search me',
        `
for step in Alpha Beta Gamma; do
  echo "STEP_START:$step"
  for i in $(seq 1 400); do
    if [ $((i % 100)) -eq 0 ]; then echo "$step line $i: Needle and needle"; else echo "$step line $i"; fi
  done
  echo "STEP_COMPLETE:$step"
done
printf '\\033[31mNEE\\033[0mDLE split by colour\\n'
`,
      );
      await finished(server, id);
      // 3 steps × 4 lines × 2 occurrences, plus the coloured one.
      const total = 25;
      const page = await browser.open(server.url, `/executions/${id}`);
      await expect.poll(() => header(page, 'Alpha').getAttribute('aria-expanded')).toBe('false');

      const box = page.getByRole('searchbox', { name: 'Search the log' });
      const count = page.getByTestId('log-search-count');
      await box.fill('NEEDLE');

      await expect.poll(() => count.textContent()).toBe(`1 of ${total}`);
      // The first match is in Alpha (collapsed until now): its line is shown, the match marked.
      const firstSeq = 1 + 100; // Alpha's STEP_START is seq 1
      await expect.poll(() => line(page, firstSeq).locator('.log-match-current').count()).toBe(1);
      expect(await line(page, firstSeq).locator('.log-match').count()).toBe(2);
      expect(await inView(page, firstSeq)).toBe(true);

      await box.press('Enter');
      await expect.poll(() => count.textContent()).toBe(`2 of ${total}`);
      expect(await line(page, firstSeq).locator('.log-match-current').textContent()).toBe('needle');
      await box.press('Enter');
      await expect.poll(() => count.textContent()).toBe(`3 of ${total}`);
      await expect
        .poll(() =>
          line(page, firstSeq + 100)
            .locator('.log-match-current')
            .count(),
        )
        .toBe(1);
      await box.press('Shift+Enter');
      await expect.poll(() => count.textContent()).toBe(`2 of ${total}`);

      // Previous from the first wraps to the last: the coloured line, in the implicit "Post Gamma" step.
      await page.getByRole('button', { name: 'Previous match' }).click();
      await expect.poll(() => count.textContent()).toBe(`1 of ${total}`);
      await page.getByRole('button', { name: 'Previous match' }).click();
      await expect.poll(() => count.textContent()).toBe(`${total} of ${total}`);
      const lastSeq = 3 * 402 + 1;
      // The match spans two colours: it is marked in both pieces.
      await expect
        .poll(async () =>
          (await line(page, lastSeq).locator('.log-match-current').allTextContents()).join(''),
        )
        .toBe('NEEDLE');
      expect(await inView(page, lastSeq)).toBe(true);
      await page.getByRole('button', { name: 'Next match' }).click();
      await expect.poll(() => count.textContent()).toBe(`1 of ${total}`);

      await box.press('Escape');
      await expect.poll(() => count.textContent()).toBe('');
      await expect.poll(() => page.locator('.log-match').count()).toBe(0);
    },
  );

  it('opens a permalink #L<n> scrolled to that line and highlighted, and a line number click sets one', async () => {
    const server = await startServer();
    const id = await run(
      server,
      'Long run',
      `
echo "STEP_START:Warm up"; seq 1 2000 | sed 's/^/warm /'; echo "STEP_COMPLETE:Warm up"
echo "STEP_START:Main"; seq 1 3000 | sed 's/^/main /'; echo "STEP_COMPLETE:Main"
`,
    );
    await finished(server, id);
    // Line 3210 is in Main, which starts collapsed.
    const page = await browser.open(server.url, `/executions/${id}#L3210`);
    const target = line(page, 3210);
    await target.waitFor();
    await expect.poll(() => target.getAttribute('class')).toContain('log-highlighted');
    await expect.poll(() => target.locator('.log-text').textContent()).toBe('main 1207');
    await expect.poll(() => inView(page, 3210)).toBe(true);
    expect(await page.locator('.log-highlighted').count()).toBe(1);

    // Timestamps: off by default, then relative to the start of the run.
    expect(await page.locator('.log-ts').count()).toBe(0);
    await page.getByRole('combobox', { name: 'Timestamps' }).selectOption('relative');
    await expect
      .poll(() => line(page, 3210).locator('.log-ts').textContent())
      .toMatch(/^\+\d\d:\d\d\.\d{3}$/);

    await line(page, 3215).locator('.log-ln').click();
    await expect.poll(() => page.evaluate(() => window.location.hash)).toBe('#L3215');
    await expect.poll(() => line(page, 3215).getAttribute('class')).toContain('log-highlighted');
    expect(await page.locator('.log-highlighted').count()).toBe(1);
  });

  it('downloads the raw log with the same bytes as the API text', async () => {
    const server = await startServer();
    const id = await run(server, 'Raw log', `${COLOURFUL}\necho "ünïcödé 环境设置"; echo err >&2`);
    await finished(server, id);
    const page = await browser.open(server.url, `/executions/${id}`);
    const link = page.getByRole('link', { name: 'Download log' });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe(`Raw-log-${id}.log`);
    const file = await download.path();
    const expected = Buffer.from(
      await (await fetch(`${server.url}/api/executions/${id}/logs?format=text`)).arrayBuffer(),
    );
    expect(expected.length).toBeGreaterThan(100);
    expect(fs.readFileSync(file).equals(expected)).toBe(true);
  });

  it('opens a failed run at the first error line of its failed step', async () => {
    const server = await startServer();
    const id = await run(
      server,
      'Failing deploy',
      `
echo "STEP_START:Prepare"; seq 1 300 | sed 's/^/prep /'; echo "STEP_COMPLETE:Prepare"
echo "STEP_START:Deploy"
seq 1 700 | sed 's/^/upload /'
echo "STEP_ERROR:deploy exploded"
seq 1 500 | sed 's/^/cleanup /'
exit 1
`,
    );
    const execution = await finished(server, id);
    expect(execution.status).toBe('failed');
    const errorSeq = 2 + 300 + 1 + 700 + 1; // Prepare: 302 lines, then Deploy's start and 700 lines
    const page = await browser.open(server.url, `/executions/${id}`);
    const errorLine = line(page, errorSeq);
    await errorLine.waitFor();
    await expect.poll(() => errorLine.locator('.log-text').textContent()).toBe('STEP_ERROR:deploy exploded');
    await expect.poll(() => errorLine.getAttribute('class')).toContain('log-highlighted');
    await expect.poll(() => inView(page, errorSeq)).toBe(true);
    // At the top: Prepare (succeeded) collapsed, Deploy (failed) open right below it.
    await page.getByTestId('log-scroller').evaluate((element) => {
      element.scrollTop = 0;
    });
    await expect.poll(() => header(page, 'Prepare').getAttribute('aria-expanded')).toBe('false');
    expect(await header(page, 'Deploy').getAttribute('aria-expanded')).toBe('true');
    await expect.poll(() => line(page, 303).locator('.log-text').textContent()).toBe('STEP_START:Deploy');
  });

  it('opens an interrupted run, like a failed one, at the first error output of the step it was in', async () => {
    // A run left `running` by a process that died: the next server to open the data dir marks it
    // interrupted (its running step cancelled), and the dashboard counts that as a failure.
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-log-interrupted-'));
    dirs.push(dataDir);
    const seeded = await openSqliteStore({ dataDir });
    const crashed = await seeded.createExecution({
      spec: { name: 'Crashed deploy', command: 'bash deploy.sh', cwd: dataDir },
      status: 'running',
    });
    const ts = Date.parse(crashed.createdAt);
    const at = new Date(ts).toISOString();
    const step = (id: number, name: string, firstSeq: number, status: 'succeeded' | 'running') => ({
      id,
      parentId: null,
      name,
      status,
      startedAt: at,
      endedAt: status === 'running' ? null : at,
      durationMs: status === 'running' ? null : 0,
      meta: {},
      implicit: false,
      source: 'stepflow' as const,
      error: null,
      estimatedDurationSeconds: null,
      firstSeq,
      hasSummary: false,
    });
    const lines: LogLine[] = [];
    const add = (stepId: number, text: string, stream: LogLine['stream'] = 'stdout', flags = 0): void => {
      lines.push({ seq: lines.length + 1, ts, stream, stepId, text, flags });
    };
    add(1, 'STEP_START:Prepare', 'stdout', LineFlag.Marker);
    for (let i = 1; i <= 300; i++) add(1, `prep ${i}`);
    add(1, 'STEP_COMPLETE:Prepare', 'stdout', LineFlag.Marker);
    add(2, 'STEP_START:Deploy', 'stdout', LineFlag.Marker);
    for (let i = 1; i <= 700; i++) add(2, `upload ${i}`);
    add(2, 'upload: connection reset', 'stderr');
    const errorSeq = lines.length;
    for (let i = 1; i <= 300; i++) add(2, `retrying ${i}`);
    await seeded.write({
      steps: [
        { executionId: crashed.id, step: step(1, 'Prepare', 1, 'succeeded') },
        { executionId: crashed.id, step: step(2, 'Deploy', 303, 'running') },
      ],
      lines: [{ executionId: crashed.id, lines }],
    });
    await seeded.close();

    const server = await startServer({ dataDir });
    expect(await detail(server, crashed.id)).toMatchObject({ status: 'interrupted' });
    const page = await browser.open(server.url, `/executions/${crashed.id}`);
    const errorLine = line(page, errorSeq);
    await errorLine.waitFor();
    await expect.poll(() => errorLine.locator('.log-text').textContent()).toBe('upload: connection reset');
    await expect.poll(() => errorLine.getAttribute('class')).toContain('log-highlighted');
    await expect.poll(() => inView(page, errorSeq)).toBe(true);
  });

  it('follows a live log at the end, stops when scrolled up, and resumes with Jump to latest', async () => {
    const server = await startServer();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-log-live-'));
    dirs.push(dir);
    const gate = (name: string) => path.join(dir, name);
    const id = await run(
      server,
      'Live',
      `
echo "STEP_START:Stream"
seq 1 300 | sed 's/^/first /'
while [ ! -e ${gate('one')} ]; do sleep 0.05; done
seq 1 300 | sed 's/^/second /'
while [ ! -e ${gate('two')} ]; do sleep 0.05; done
seq 1 300 | sed 's/^/third /'
echo "STEP_COMPLETE:Stream"
`,
    );
    const page = await browser.open(server.url, `/executions/${id}`);
    // 1 marker line + 300: the end is in view once they arrived.
    await expect.poll(() => inView(page, 301), { timeout: 15_000 }).toBe(true);
    fs.writeFileSync(gate('one'), '');
    await expect.poll(() => inView(page, 601), { timeout: 15_000 }).toBe(true);
    expect(await page.getByRole('button', { name: /Jump to latest/ }).count()).toBe(0);

    // Scrolling up stops following: new lines arrive below, the view stays.
    await page.getByTestId('log-scroller').evaluate((element) => {
      element.scrollTop = 0;
    });
    const jump = page.getByRole('button', { name: /Jump to latest/ });
    await jump.waitFor();
    fs.writeFileSync(gate('two'), '');
    await finished(server, id);
    await expect.poll(() => page.locator('.log-line-count').textContent()).toBe('902 lines');
    expect(await inView(page, 1)).toBe(true);
    expect(await line(page, 902).count()).toBe(0);

    await jump.click();
    await expect.poll(() => inView(page, 902)).toBe(true);
    await expect.poll(() => line(page, 902).locator('.log-text').textContent()).toBe('STEP_COMPLETE:Stream');
  });

  it('keeps the steps it showed open while live open when they and the run end', async () => {
    const server = await startServer();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-log-open-'));
    dirs.push(dir);
    const gate = path.join(dir, 'end');
    const id = await run(
      server,
      'Stays open',
      `
echo "STEP_START:Fetch"
echo "fetched 12 files"
echo "STEP_COMPLETE:Fetch"
echo "STEP_START:Compile"
echo "compiling main.c"
while [ ! -e ${gate} ]; do sleep 0.05; done
echo "compiled"
echo "STEP_COMPLETE:Compile"
`,
    );
    await expect
      .poll(async () => (await detail(server, id)).steps.map((step) => step.status), { timeout: 15_000 })
      .toEqual(['succeeded', 'running']);
    const page = await browser.open(server.url, `/executions/${id}`);
    // Opened while Compile runs: Fetch (already done) starts collapsed, Compile open.
    await page.locator('.log-line', { hasText: 'compiling main.c' }).waitFor();
    await expect.poll(() => header(page, 'Fetch').getAttribute('aria-expanded')).toBe('false');
    await expect.poll(() => header(page, 'Compile').getAttribute('aria-expanded')).toBe('true');

    fs.writeFileSync(gate, '');
    await finished(server, id);
    await page.locator('.execution-header .status[data-status="succeeded"]').waitFor();
    // The step the user was following stays open with its lines, the last one included.
    await page.locator('.log-line', { hasText: 'compiled' }).last().waitFor();
    expect(await header(page, 'Compile').getAttribute('aria-expanded')).toBe('true');
    expect(await page.locator('.log-line', { hasText: 'compiling main.c' }).count()).toBe(1);
    expect(await header(page, 'Fetch').getAttribute('aria-expanded')).toBe('false');

    // A fresh look at the ended run starts with the successful steps collapsed, as before.
    await page.reload();
    await expect.poll(() => header(page, 'Compile').getAttribute('aria-expanded')).toBe('false');
  });

  it('marks stderr lines with a left border and says "stderr" to assistive technology', async () => {
    const server = await startServer();
    const id = await run(server, 'Streams', `echo "all good"\necho "disk full" >&2\n`);
    await finished(server, id);
    const page = await browser.open(server.url, `/executions/${id}`);
    const out = page.getByRole('row', { name: /all good/ });
    const err = page.getByRole('row', { name: /disk full/ });
    await err.waitFor();
    // Its accessible name and its tooltip say which stream it came from; the stdout line's do not.
    expect(await err.evaluate((row) => row.textContent)).toContain('stderr');
    expect(await err.getAttribute('title')).toBe('stderr');
    expect(await out.evaluate((row) => row.textContent)).not.toContain('stderr');
    expect(await out.getAttribute('title')).toBeNull();
    // The mark is visible (an inset left border), the text itself unchanged.
    const shadow = (row: typeof out) => row.evaluate((element) => getComputedStyle(element).boxShadow);
    expect(await shadow(out)).toBe('none');
    expect(await shadow(err)).toMatch(/3px 0px 0px 0px inset/);
    await expect.poll(() => err.locator('.log-text').textContent()).toBe('disk full');
  });

  it('scrolls a 1,000,000-line log from the top to the last line in under 2 s, rendering few rows', async () => {
    const server = await startServer();
    const id = await run(server, 'A million lines', 'seq 1 1000000');
    const execution = await finished(server, id, 90_000);
    expect(execution.lineCount).toBe(1_000_000);
    const page = await browser.open(server.url, `/executions/${id}`);
    await expect.poll(() => line(page, 1).locator('.log-text').textContent()).toBe('1');
    const scroller = page.getByTestId('log-scroller');
    const rowCount = () => page.locator('.log-row').count();
    expect(await rowCount()).toBeLessThan(300);

    const started = Date.now();
    // Drag through the log in 10 jumps, each waiting until its lines are shown, then the end.
    for (let step = 1; step <= 10; step++) {
      const seq = await scroller.evaluate((element, fraction) => {
        element.scrollTop = (element.scrollHeight - element.clientHeight) * fraction;
        return Math.round(999_999 * fraction) + 1;
      }, step / 10);
      await page.waitForFunction(
        (near) =>
          Array.from(document.querySelectorAll('.log-line:not(.log-loading)')).some(
            (row) => Math.abs(Number((row as HTMLElement).dataset.seq) - near) < 100,
          ),
        seq,
        { polling: 'raf' },
      );
    }
    await expect
      .poll(() => line(page, 1_000_000).locator('.log-text').textContent(), { interval: 16 })
      .toBe('1000000');
    const elapsed = Date.now() - started;
    console.log(`1M lines: top to last line in ${elapsed} ms`);
    expect(await inView(page, 1_000_000)).toBe(true);
    expect(await rowCount()).toBeLessThan(300);
    expect(elapsed).toBeLessThan(2000);
    // The scroll area is capped below Chromium's limit; positions scale.
    expect(await scroller.evaluate((element) => element.scrollHeight)).toBeLessThanOrEqual(15_000_000);
  }, 150_000);
});
