import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import {
  eventually,
  getExecution,
  openGate,
  readLogPane,
  runScript,
  shownSteps,
  waitForEnd,
} from './helpers/execution-kit.js';
import { saveScreenshot, useBrowser } from './helpers/browser.js';

const startServer = useTestServers();
const browser = useBrowser();
const tempDir = useTempDirs();

describe('the execution page, live', () => {
  it('shows steps appearing in order while the script runs, each going from spinner to done', async () => {
    const server = await startServer();
    const dir = tempDir();
    const execution = await runScript(
      server,
      dir,
      'pipeline',
      `echo "STEP_START:数据预处理"
echo "loading rows"
gate one
echo "STEP_COMPLETE:数据预处理"
echo "STEP_START:Train"
echo "STEP_START:Epoch 1"
gate two
echo "STEP_COMPLETE:Train"
echo "STEP_START:Report"
echo "META:ESTIMATED_DURATION:20"
gate three
echo "STEP_COMPLETE:Report"
`,
    );
    const page = await browser.open(server.url, `/executions/${execution.id}`);
    await page.getByRole('heading', { name: 'pipeline' }).waitFor();

    await eventually(async () =>
      expect(await shownSteps(page)).toEqual([
        { name: '数据预处理', status: 'running', indent: 8, spinner: true },
      ]),
    );
    openGate(dir, 'one');
    await eventually(async () =>
      expect(await shownSteps(page)).toEqual([
        { name: '数据预处理', status: 'succeeded', indent: 8, spinner: false },
        { name: 'Train', status: 'running', indent: 8, spinner: true },
        // Nested: indented under its parent.
        { name: 'Epoch 1', status: 'running', indent: 24, spinner: true },
      ]),
    );
    // The run's duration ticks while it runs.
    const duration = page.locator('.execution-duration');
    const before = await duration.textContent();
    await eventually(async () => expect(await duration.textContent()).not.toBe(before));

    openGate(dir, 'two');
    await eventually(async () =>
      expect((await shownSteps(page)).map((s) => [s.name, s.status])).toEqual([
        ['数据预处理', 'succeeded'],
        ['Train', 'succeeded'],
        ['Epoch 1', 'succeeded'],
        ['Report', 'running'],
      ]),
    );
    // ESTIMATED_DURATION drives the running step's progress bar.
    const progress = page.getByRole('progressbar', { name: 'Report progress' });
    await progress.waitFor();
    await eventually(async () =>
      expect(Number(await progress.getAttribute('aria-valuenow'))).toBeGreaterThan(0),
    );

    openGate(dir, 'three');
    await page.locator('.execution-header .status[data-status="succeeded"]').waitFor();
    expect((await shownSteps(page)).every((s) => s.status === 'succeeded' && !s.spinner)).toBe(true);
    expect(await page.getByRole('progressbar').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Cancel', exact: true }).count()).toBe(0);
  }, 60_000);

  it('estimates progress from the last successful run with the same name', async () => {
    const server = await startServer();
    const dir = tempDir();
    const script = `echo "STEP_START:Build"
gate build
echo "STEP_COMPLETE:Build"
`;
    const first = await runScript(server, dir, 'nightly build', script);
    // The first run's Build takes about a second; the second run's bar is measured against it.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    openGate(dir, 'build');
    await waitForEnd(server, first.id);
    fs.rmSync(path.join(dir, 'build.gate'));

    const second = await runScript(server, dir, 'nightly build', script);
    const page = await browser.open(server.url, `/executions/${second.id}`);
    const bar = page.getByRole('progressbar', { name: 'Build progress' });
    await bar.waitFor();
    await eventually(async () => expect(Number(await bar.getAttribute('aria-valuenow'))).toBeGreaterThan(0));
    await page.getByRole('progressbar', { name: 'Execution progress' }).waitFor();
    openGate(dir, 'build');
    await bar.waitFor({ state: 'detached' });
  }, 60_000);
});

describe('the execution page, after the fact', () => {
  it('summarises a failure: the failed step, the exit code and the last lines, as text', async () => {
    const server = await startServer();
    const dir = tempDir();
    const execution = await runScript(
      server,
      dir,
      'import 数据',
      `echo "STEP_START:Setup"
echo "ok"
echo "STEP_COMPLETE:Setup"
echo "STEP_START:Validate"
for i in $(seq 1 14); do echo "row $i"; done
echo '<img src=x onerror=alert(1)>'
echo "fatal: missing column id" >&2
exit 3
`,
    );
    await waitForEnd(server, execution.id);
    const page = await browser.open(server.url, `/executions/${execution.id}`);
    const summary = page.getByRole('region', { name: 'Failure summary' });
    await summary.waitFor();
    expect(await summary.locator('.card-header').textContent()).toContain('Failed with exit code 3');
    expect(await summary.getByRole('button', { name: 'Validate' }).count()).toBe(1);

    const lines = summary.getByLabel('Last lines');
    await lines.getByText('fatal: missing column id').waitFor();
    const texts = await lines.locator('.failure-line span').allTextContents();
    // 4 + 14 + 2 lines: the last 10 are row 7 … row 14, the HTML, the error.
    expect(texts).toEqual([
      ...Array.from({ length: 8 }, (_, i) => `row ${i + 7}`),
      '<img src=x onerror=alert(1)>',
      'fatal: missing column id',
    ]);
    expect(await lines.locator('img').count()).toBe(0);
    expect(await lines.getByRole('link', { name: '20' }).getAttribute('href')).toBe('#L20');

    const steps = await shownSteps(page);
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ['Setup', 'succeeded'],
      ['Validate', 'failed'],
    ]);
    expect(await page.locator('.execution-result').textContent()).toBe('exit code 3');

    // Keyboard: the failed step starts selected; k/j and the arrows move, "/" goes to the log search.
    const current = page.getByRole('list', { name: 'Steps' }).locator('li[aria-current="step"] .step-name');
    expect(await current.textContent()).toBe('Validate');
    await page.locator('body').press('k');
    expect(await current.textContent()).toBe('Setup');
    await page.keyboard.press('ArrowDown');
    expect(await current.textContent()).toBe('Validate');
    await page.keyboard.press('/');
    await eventually(async () =>
      expect(await page.locator(':focus').getAttribute('aria-label')).toBe('Search the log'),
    );
    // Typing there is typing, not step navigation.
    await page.keyboard.type('jk');
    expect(await current.textContent()).toBe('Validate');
    await saveScreenshot(page, 'execution-failed', { fullPage: true });
  }, 60_000);

  it('cancels a running script, and Re-run opens a new execution of it', async () => {
    const server = await startServer();
    const dir = tempDir();
    const execution = await runScript(
      server,
      dir,
      'long wait',
      `echo "STEP_START:Wait"\necho $$ > pid\nsleep 60\n`,
    );
    const page = await browser.open(server.url, `/executions/${execution.id}`);
    const cancel = page.getByRole('button', { name: 'Cancel', exact: true });
    await cancel.waitFor();
    await eventually(async () => expect(fs.existsSync(path.join(dir, 'pid'))).toBe(true));
    const pid = Number(fs.readFileSync(path.join(dir, 'pid'), 'utf8'));

    await cancel.click();
    await page.locator('.execution-header .status[data-status="cancelled"]').waitFor();
    expect(await page.locator('.execution-actions').getByRole('button').allTextContents()).toEqual([
      'Re-run',
      'Pin',
    ]);
    expect((await waitForEnd(server, execution.id)).status).toBe('cancelled');
    // Killed (the status may be recorded a moment before the process is reaped).
    await eventually(async () => expect(isAlive(pid)).toBe(false));
    expect((await shownSteps(page)).map((s) => [s.name, s.status])).toEqual([['Wait', 'cancelled']]);

    await page.getByRole('button', { name: 'Re-run' }).click();
    await page.waitForURL(
      (url) => url.pathname.startsWith('/executions/') && !url.pathname.endsWith(execution.id),
    );
    const newId = new URL(page.url()).pathname.split('/').pop() ?? '';
    const rerun = await getExecution(server, newId);
    expect(rerun).toMatchObject({ name: 'long wait', command: execution.command, cwd: dir });
    // The new page shows the new run live, not the old one's state.
    await page.locator('.execution-header .status[data-status="running"]').waitFor();
    await eventually(async () => expect((await shownSteps(page)).map((s) => s.status)).toEqual(['running']));
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.locator('.execution-header .status[data-status="cancelled"]').waitFor();
  }, 60_000);

  it('re-runs from a failed step: the new run gets STEPFLOW_RESUME_FROM and its page links back', async () => {
    const server = await startServer();
    const dir = tempDir();
    const execution = await runScript(
      server,
      dir,
      'resumable',
      `echo "STEP_START:Build"
echo "resume from [\${STEPFLOW_RESUME_FROM-}]"
echo "STEP_COMPLETE:Build"
echo "STEP_START:Test"
if [ "\${STEPFLOW_RESUME_FROM-}" != "Test" ]; then echo "STEP_ERROR:2 tests failed"; exit 1; fi
echo "STEP_COMPLETE:Test"
`,
    );
    expect((await waitForEnd(server, execution.id)).status).toBe('failed');
    const page = await browser.open(server.url, `/executions/${execution.id}`);
    const failedStep = page.locator('.step-item[data-status="failed"]');
    await failedStep.waitFor();
    // Only the failed step offers it.
    expect(await page.getByRole('button', { name: 'Re-run from here' }).count()).toBe(1);

    await failedStep.getByRole('button', { name: 'Re-run from here' }).click();
    await page.waitForURL(
      (url) => url.pathname.startsWith('/executions/') && !url.pathname.endsWith(execution.id),
    );
    const newId = new URL(page.url()).pathname.split('/').pop() ?? '';
    const chain = page.locator('.rerun-chain');
    await chain.waitFor();
    expect(await chain.textContent()).toBe(`Re-run of ${execution.id} from step Test`);
    await page.locator('.execution-header .status[data-status="succeeded"]').waitFor();
    await eventually(async () =>
      expect((await shownSteps(page)).map((s) => [s.name, s.status])).toEqual([
        ['Build', 'succeeded'],
        ['Test', 'succeeded'],
      ]),
    );
    expect((await readLogPane(page)).map((line) => line.text)).toContain('resume from [Test]');
    expect(await getExecution(server, newId)).toMatchObject({ rerunOf: execution.id, resumeFrom: 'Test' });

    // The link goes back to the first run, which now names its re-run.
    await chain.getByRole('link', { name: execution.id }).click();
    await page.waitForURL((url) => url.pathname.endsWith(execution.id));
    await eventually(async () =>
      expect(await page.locator('.rerun-chain').textContent()).toBe(`re-run as ${newId}`),
    );
  }, 60_000);

  it('shows an API error when an action fails', async () => {
    const server = await startServer();
    const dir = tempDir();
    const execution = await runScript(server, dir, 'short', 'echo hi\n');
    await waitForEnd(server, execution.id);
    const page = await browser.open(server.url, `/executions/${execution.id}`);
    await page.getByRole('heading', { name: 'short' }).waitFor();
    // Deleted behind the page's back: the Re-run that follows gets the server's 404.
    expect((await fetch(`${server.url}/api/executions/${execution.id}`, { method: 'DELETE' })).status).toBe(
      204,
    );
    await page.getByRole('button', { name: 'Re-run' }).click();
    // (The log pane may also say it cannot read the deleted log; this is about the button.)
    const alert = page.getByRole('alert').filter({ hasText: 'Re-run failed' });
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^Re-run failed: .*not found/);
  }, 60_000);

  it('pins an ended run so retention never expires it, and unpins it', async () => {
    const server = await startServer();
    const execution = await runScript(server, tempDir(), 'keep-me', 'echo kept\n');
    await waitForEnd(server, execution.id);
    const page = await browser.open(server.url, `/executions/${execution.id}`);
    await page.getByRole('heading', { name: 'keep-me' }).waitFor();
    await page.getByRole('button', { name: 'Pin', exact: true }).click();
    await page.getByText('pinned: never expires').waitFor();
    expect((await getExecution(server, execution.id)).pinned).toBe(true);
    expect(await page.getByRole('button', { name: 'Unpin' }).getAttribute('aria-pressed')).toBe('true');

    await page.getByRole('button', { name: 'Unpin' }).click();
    await page.getByRole('button', { name: 'Pin', exact: true }).waitFor();
    expect(await page.getByText('pinned: never expires').count()).toBe(0);
    expect((await getExecution(server, execution.id)).pinned).toBeUndefined();
  }, 60_000);

  it('lists artifacts whose downloads are the bytes the script wrote (a directory as a zip)', async () => {
    const server = await startServer();
    const dir = tempDir();
    const execution = await runScript(
      server,
      dir,
      'artifacts',
      `echo "STEP_START:Package"
mkdir -p out/reports
head -c 5000 /dev/urandom > out/model.bin
echo '<h1>report</h1>' > out/reports/index.html
echo "ARTIFACT:out/model.bin:trained model: v2"
echo "ARTIFACT:out/reports:HTML reports"
echo "ARTIFACT:out/missing.txt:never written"
echo "STEP_COMPLETE:Package"
`,
    );
    await waitForEnd(server, execution.id);
    const page = await browser.open(server.url, `/executions/${execution.id}`);
    const table = page.getByRole('region', { name: 'Artifacts' });
    const model = table.getByRole('link', { name: 'out/model.bin' });
    await model.waitFor();
    // A short finished log does not push the artifacts below the fold (the pane fits its lines).
    const box = await table.boundingBox();
    expect(box?.y ?? Infinity).toBeLessThan(page.viewportSize()?.height ?? 0);
    const row = table.locator('tr', { hasText: 'out/model.bin' });
    expect(await row.locator('td').allTextContents()).toEqual([
      'out/model.bin',
      '4.9 KB',
      'trained model: v2',
      'Package',
      // A binary has no preview (the last column).
      '',
    ]);
    const [download] = await Promise.all([page.waitForEvent('download'), model.click()]);
    const saved = path.join(dir, 'downloaded.bin');
    await download.saveAs(saved);
    expect(fs.readFileSync(saved).equals(fs.readFileSync(path.join(dir, 'out/model.bin')))).toBe(true);

    const reports = table.getByRole('link', { name: /out\/reports \(zip\)/ });
    const [zip] = await Promise.all([page.waitForEvent('download'), reports.click()]);
    const zipFile = path.join(dir, 'reports.zip');
    await zip.saveAs(zipFile);
    expect(zip.suggestedFilename()).toMatch(/\.zip$/);
    expect(fs.readFileSync(zipFile).subarray(0, 2).toString()).toBe('PK');

    const missing = table.locator('tr', { hasText: 'out/missing.txt' });
    expect(await missing.getByRole('link').count()).toBe(0);
    expect(await missing.locator('.artifact-error').textContent()).toMatch(/missing|not found|no such/i);
  }, 60_000);
});

describe('the execution page, reconnecting', () => {
  it('resumes after the server drops the WebSocket with every line exactly once, in order', async () => {
    const server = await startServer();
    const dir = tempDir();
    const execution = await runScript(
      server,
      dir,
      'numbers',
      `gate start
echo "STEP_START:Count"
for i in $(seq 1 20); do echo "n $i"; sleep 0.02; done
gate more
for i in $(seq 21 60); do echo "n $i"; sleep 0.02; done
echo "STEP_COMPLETE:Count"
`,
    );
    const page = await browser.open(server.url, '/');
    // What the page's sockets receive and send: the log viewer's input, frame by frame.
    const received: { socket: number; seq: number; text: string }[] = [];
    const subscribes: { socket: number; since: number | undefined }[] = [];
    let sockets = 0;
    page.on('websocket', (ws) => {
      const socket = ++sockets;
      ws.on('framereceived', ({ payload }) => {
        const message = JSON.parse(String(payload)) as {
          type: string;
          lines?: { seq: number; text: string }[];
        };
        if (message.type === 'lines')
          for (const line of message.lines ?? []) received.push({ socket, ...line });
      });
      ws.on('framesent', ({ payload }) => {
        const message = JSON.parse(String(payload)) as { type: string; topic?: string; since?: number };
        if (message.type === 'subscribe' && message.topic === `execution:${execution.id}`)
          subscribes.push({ socket, since: message.since });
      });
    });
    await page.goto(`${server.url}/executions/${execution.id}`);
    await page.getByRole('heading', { name: 'numbers' }).waitFor();
    // Lines before the page subscribed come from the REST API (the log viewer's job); the script
    // starts once the subscription is there, so every numbered line travels over the socket.
    await eventually(async () => expect(subscribes.map((s) => s.since)).toEqual([0]));
    const firstSocket = subscribes[0]?.socket;
    openGate(dir, 'start');
    await eventually(async () => expect(received.some((line) => line.text === 'n 20')).toBe(true));
    // Record whether the page ever says it is reconnecting (it may be brief).
    // (Through the element's window: the root tsconfig has no DOM globals.)
    await page.locator('body').evaluate((body) => {
      const html = body.ownerDocument.documentElement;
      new body.ownerDocument.defaultView!.MutationObserver(() => {
        if (body.querySelector('.connection-badge[data-state="reconnecting"]'))
          html.setAttribute('data-saw-reconnecting', '1');
      }).observe(body, { childList: true, subtree: true, characterData: true });
    });

    expect(server.dropLiveClients()).toBeGreaterThanOrEqual(1);
    const lastBeforeDrop = Math.max(
      ...received.filter((line) => line.socket === firstSocket).map((line) => line.seq),
    );
    openGate(dir, 'more');

    await page.locator('.execution-header .status[data-status="succeeded"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('html').getAttribute('data-saw-reconnecting')).toBe('1');
    expect(await page.locator('.connection-badge').count()).toBe(0);
    // The new socket resumed exactly where the old one stopped...
    expect(subscribes.at(-1)).toEqual({ socket: sockets, since: lastBeforeDrop });
    expect(sockets).toBeGreaterThan(firstSocket ?? Infinity);
    // ...so the lines the page got are the whole log, once each, in order.
    const numbers = received
      .map((line) => /^n (\d+)$/.exec(line.text)?.[1])
      .filter(Boolean)
      .map(Number);
    expect(numbers).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const seqs = received.map((line) => line.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect((await shownSteps(page)).map((s) => [s.name, s.status])).toEqual([['Count', 'succeeded']]);

    // And what the log pane shows: each number once, in order, on consecutive lines.
    const shown = await readLogPane(page);
    const shownNumbers = shown
      .map((line) => /^n (\d+)$/.exec(line.text)?.[1])
      .filter(Boolean)
      .map(Number);
    expect(shownNumbers).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(shown.map((line) => line.seq)).toEqual(Array.from({ length: shown.length }, (_, i) => i + 1));
  }, 60_000);
});

describe('the execution page, screenshots', () => {
  it('shows a finished multi-step run with annotations, artifacts and resource samples, light and dark', async () => {
    const server = await startServer();
    const dir = tempDir();
    const execution = await runScript(
      server,
      dir,
      'train-model nightly',
      `echo "META:git:3f9c2ab"
echo "STEP_START:环境设置"
echo "python 3.12, cuda 12.4"
sleep 0.3
echo "STEP_COMPLETE:环境设置"
echo "STEP_START:数据预处理"
echo "META:ESTIMATED_DURATION:2"
end=$((SECONDS + 2)); while [ $SECONDS -lt $end ]; do :; done
echo "::warning file=src/prep.py,line=42,col=7,title=Deprecated::DataFrame.append is deprecated; use concat"
echo "STEP_COMPLETE:数据预处理"
echo "STEP_START:Train"
for epoch in 1 2; do
  echo "STEP_START:Epoch $epoch"
  end=$((SECONDS + 1)); while [ $SECONDS -lt $end ]; do :; done
  echo "loss: 0.$((40 - epoch * 7))"
  echo "STEP_COMPLETE:Epoch $epoch"
done
echo "::error file=src/train.py,line=88,col=3,title=NaN loss::loss became NaN at step 1200 (recovered by the scheduler)"
echo "STEP_COMPLETE:Train"
echo "STEP_START:Package"
mkdir -p out/reports
head -c 2400000 /dev/urandom > out/model.bin
echo '{"accuracy": 0.934}' > out/metrics.json
echo '<h1>report</h1>' > out/reports/index.html
echo "ARTIFACT:out/model.bin:trained weights"
echo "ARTIFACT:out/metrics.json:evaluation metrics"
echo "ARTIFACT:out/reports:HTML reports"
echo "META:accuracy:0.934"
echo "STEP_COMPLETE:Package"
`,
      { tags: { team: 'ml', schedule: 'nightly' } },
    );
    const done = await waitForEnd(server, execution.id, 40_000);
    expect(done.status).toBe('succeeded');

    for (const scheme of ['light', 'dark'] as const) {
      const page = await browser.open(server.url, `/executions/${execution.id}`, { colorScheme: scheme });
      await page.getByRole('heading', { name: 'train-model nightly' }).waitFor();
      const annotations = page.getByRole('region', { name: 'Annotations' });
      await annotations.getByText('loss became NaN at step 1200 (recovered by the scheduler)').waitFor();
      expect(await annotations.getByText('src/prep.py:42:7').count()).toBe(1);
      const lineLink = annotations.getByRole('link').first();
      expect(await lineLink.getAttribute('href')).toMatch(/^#L\d+$/);
      await page
        .getByRole('region', { name: 'Artifacts' })
        .getByRole('link', { name: 'out/model.bin' })
        .waitFor();
      // The chart has the samples of a run over 3 s.
      const chart = page.locator('.resource-chart');
      await chart.locator('canvas').waitFor();
      expect(Number(await chart.getAttribute('data-samples'))).toBeGreaterThanOrEqual(2);
      // Its legend reads the last sample, timed from the run's start (not a clock, not dashes).
      const legend = await chart.locator('.u-legend .u-series .u-value').allInnerTexts();
      expect(legend[0]).toMatch(/^[1-9]\.\ds$/);
      expect(legend[1]).toMatch(/^\d+%$/);
      expect(legend[2]).toMatch(/^[\d.]+ (B|KB|MB)$/);
      expect((await shownSteps(page)).map((s) => [s.name, s.indent])).toEqual([
        ['环境设置', 8],
        ['数据预处理', 8],
        ['Train', 8],
        ['Epoch 1', 24],
        ['Epoch 2', 24],
        ['Package', 8],
      ]);
      const background = await page
        .locator('body')
        .evaluate((body) => body.ownerDocument.defaultView!.getComputedStyle(body).backgroundColor);
      expect(background).toBe(scheme === 'dark' ? 'rgb(13, 17, 23)' : 'rgb(255, 255, 255)');
      await saveScreenshot(page, `execution-${scheme}`, { fullPage: true });
    }
  }, 90_000);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
