import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { eventually, openGate, runScript } from './helpers/execution-kit.js';
import { useBrowser } from './helpers/browser.js';

const startServer = useTestServers();
const browser = useBrowser();
const tempDir = useTempDirs();

/** Per step row of the step list: its name and the annotation texts shown on it. */
function annotationsByStep(page: Page): Promise<{ step: string; annotations: string[] }[]> {
  return page
    .getByRole('list', { name: 'Steps' })
    .locator(':scope > li')
    .evaluateAll((items) =>
      items.map((item) => ({
        step: item.querySelector('.step-name')?.textContent ?? '',
        annotations: [...item.querySelectorAll('.step-annotations > li')].map(
          (li) => li.querySelector('.annotation-body')?.textContent?.replace(/\s+/g, ' ').trim() ?? '',
        ),
      })),
    );
}

describe('annotations in the step list', () => {
  it('shows each annotation on the row of its step, live, with file:line:col, as text', async () => {
    const server = await startServer();
    const dir = tempDir();
    const execution = await runScript(
      server,
      dir,
      'annotated',
      `echo "::notice::run-level note"
echo "STEP_START:Build"
echo "::error file=src/app.ts,line=12,col=5,title=Lint::<img src=x onerror=alert(1)> is undefined"
gate build
echo "STEP_COMPLETE:Build"
echo "STEP_START:Test"
echo "::warning file=test/a.py,line=3::slow test"
echo "STEP_COMPLETE:Test"
`,
    );
    const page = await browser.open(server.url, `/executions/${execution.id}`);
    await page.getByRole('heading', { name: 'annotated' }).waitFor();
    // While Build still runs, its annotation arrives over the live connection onto its row.
    await eventually(async () =>
      expect(await annotationsByStep(page)).toEqual([
        {
          step: 'Build',
          annotations: ['error: src/app.ts:12:5 Lint: <img src=x onerror=alert(1)> is undefined'],
        },
      ]),
    );
    openGate(dir, 'build');
    await page.locator('.execution-header .status[data-status="succeeded"]').waitFor();
    await eventually(async () =>
      expect(await annotationsByStep(page)).toEqual([
        {
          step: 'Build',
          annotations: ['error: src/app.ts:12:5 Lint: <img src=x onerror=alert(1)> is undefined'],
        },
        { step: 'Test', annotations: ['warning: test/a.py:3 slow test'] },
      ]),
    );
    // The message is text, not markup.
    expect(await page.getByRole('list', { name: 'Steps' }).locator('img').count()).toBe(0);
    // The one printed outside any step stays in the run's list only.
    await page.getByRole('region', { name: 'Annotations' }).getByText('run-level note').waitFor();
  }, 60_000);
});
