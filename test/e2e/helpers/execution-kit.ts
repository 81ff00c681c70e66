import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { ExecutionBody, ExecutionDetailBody } from '../../../src/protocol/api-schemas.js';
import type { TestServer } from '../../helpers/test-server.js';

/**
 * Bash prelude for scripts that a test drives step by step: `gate NAME` blocks until the test
 * calls {@link openGate} with that name, so "what the page shows while step X runs" is asserted
 * at a known point of the script instead of after a guessed sleep.
 */
const PRELUDE = `set -u
gate() { while [ ! -e "$1.gate" ]; do sleep 0.05; done; }
`;

/** Writes `body` as a bash script in `dir` and starts it through the API (cwd = `dir`). */
export async function runScript(
  server: TestServer,
  dir: string,
  name: string,
  body: string,
  extra: Record<string, unknown> = {},
): Promise<ExecutionBody> {
  const file = path.join(dir, `${name.replace(/[^\w]+/g, '-')}.sh`);
  fs.writeFileSync(file, PRELUDE + body);
  const response = await fetch(`${server.url}/api/executions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ command: `bash ${JSON.stringify(file)}`, name, cwd: dir, ...extra }),
  });
  if (response.status !== 201)
    throw new Error(`POST /api/executions: ${response.status} ${await response.text()}`);
  return (await response.json()) as ExecutionBody;
}

export function openGate(dir: string, name: string): void {
  fs.writeFileSync(path.join(dir, `${name}.gate`), '');
}

export async function getExecution(server: TestServer, id: string): Promise<ExecutionDetailBody> {
  const response = await fetch(`${server.url}/api/executions/${id}`);
  if (response.status !== 200) throw new Error(`GET /api/executions/${id}: ${response.status}`);
  return (await response.json()) as ExecutionDetailBody;
}

const ENDED = ['succeeded', 'failed', 'cancelled', 'timed_out', 'interrupted'];

/** Polls the API until the execution has ended (the page is then checked for the same). */
export async function waitForEnd(
  server: TestServer,
  id: string,
  timeoutMs = 20_000,
): Promise<ExecutionDetailBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const execution = await getExecution(server, id);
    if (ENDED.includes(execution.status)) return execution;
    if (Date.now() > deadline)
      throw new Error(`execution ${id} still ${execution.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface ShownStep {
  name: string;
  status: string;
  /** Indentation in px (nesting). */
  indent: number;
  spinner: boolean;
}

/** The step list as a person sees it: names in order, their status icon, nesting. */
export async function shownSteps(page: Page): Promise<ShownStep[]> {
  return page
    .getByRole('list', { name: 'Steps' })
    .locator(':scope > li')
    .evaluateAll((items) =>
      items.map((item) => {
        const button = item.querySelector('button');
        return {
          name: item.querySelector('.step-name')?.textContent ?? '',
          status: item.querySelector('.status')?.getAttribute('data-status') ?? '',
          indent: button
            ? parseFloat(item.ownerDocument.defaultView!.getComputedStyle(button).paddingLeft)
            : 0,
          spinner: item.querySelector('.spinner') !== null,
        };
      }),
    )
    .catch(() => []);
}

/** Until `check` stops throwing (locator-style waiting for values computed from the page). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * Every log line the log pane shows, read as a person would: expand collapsed steps, then scroll
 * the (virtualized) pane from top to bottom, collecting rows by their line number.
 */
export async function readLogPane(page: Page): Promise<{ seq: number; text: string }[]> {
  const scroller = page.locator('.log-scroller');
  for (;;) {
    const collapsed = scroller.locator('[role="button"][aria-expanded="false"]').first();
    if ((await collapsed.count()) === 0) break;
    await collapsed.click();
  }
  const seen = new Map<number, string>();
  await scroller.evaluate((element) => (element.scrollTop = 0));
  for (;;) {
    // Rows whose page of lines is still being fetched render empty: wait until this view is filled.
    const rows = await eventually(async () => {
      const shown = await scroller.locator('[role="row"][data-seq]').evaluateAll((items) =>
        items.map((item) => ({
          seq: Number(item.getAttribute('data-seq')),
          text: item.querySelector('.log-text')?.textContent ?? '',
        })),
      );
      if (shown.some((row) => row.text === '')) throw new Error('log rows still loading');
      return shown;
    });
    for (const row of rows) seen.set(row.seq, row.text);
    const moved = await scroller.evaluate((element) => {
      const before = element.scrollTop;
      element.scrollTop = before + element.clientHeight / 2;
      return element.scrollTop !== before;
    });
    if (!moved) break;
    // Let the pane render the rows of the new scroll position.
    await scroller.evaluate(
      (element) =>
        new Promise((resolve) => {
          const view = element.ownerDocument.defaultView!;
          view.requestAnimationFrame(() => view.requestAnimationFrame(resolve));
        }),
    );
  }
  return [...seen].sort(([a], [b]) => a - b).map(([seq, text]) => ({ seq, text }));
}
