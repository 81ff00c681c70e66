import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { openGate, runScript, waitForEnd } from './helpers/execution-kit.js';
import { useBrowser } from './helpers/browser.js';

const startServer = useTestServers();
const browser = useBrowser();
const tempDir = useTempDirs();

describe('the execution page: step summary and outputs', () => {
  it('renders the summary as Markdown (tables too) without running or showing raw HTML, and lists the outputs', async () => {
    const server = await startServer();
    const dir = tempDir();
    const execution = await runScript(
      server,
      dir,
      'report',
      `echo "::group::Test"
cat >>"$GITHUB_STEP_SUMMARY" <<'MD'
## Results

| suite | passed |
|---|---|
| unit | 42 |

<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>
[click](javascript:document.title='pwned')
MD
echo "coverage=87%" >>"$STEPFLOW_OUTPUT"
echo "::endgroup::"
`,
    );
    await waitForEnd(server, execution.id);
    const page = await browser.open(server.url, `/executions/${execution.id}`);

    const summary = page.getByRole('region', { name: 'Summary' });
    await summary.getByRole('heading', { name: 'Results' }).waitFor();
    expect(await summary.getByRole('cell', { name: '42' }).count()).toBe(1);
    // No element of the script's HTML exists, and the javascript: link goes nowhere.
    expect(await summary.locator('script, img, [onerror]').count()).toBe(0);
    expect(await summary.getByRole('link', { name: 'click' }).getAttribute('href')).not.toMatch(
      /javascript/i,
    );
    await summary.getByRole('link', { name: 'click' }).click();
    expect(await page.title()).not.toBe('pwned');

    const outputs = page.getByRole('region', { name: 'Outputs' });
    expect(await outputs.getByRole('row', { name: 'coverage 87%' }).count()).toBe(1);
  });

  it('shows a running step summary as soon as its step ends, and the next one when it comes, without a reload', async () => {
    const server = await startServer();
    const dir = tempDir();
    const execution = await runScript(
      server,
      dir,
      'two reports',
      `echo "::group::First"
echo "## First report" >>"$STEPFLOW_STEP_SUMMARY"
echo "::endgroup::"
gate second
echo "::group::Second"
echo "## Second report" >>"$STEPFLOW_STEP_SUMMARY"
echo "::endgroup::"
`,
    );
    const page = await browser.open(server.url, `/executions/${execution.id}`);
    const summary = page.getByRole('region', { name: 'Summary' });
    // The live messages only say that the run and the step have a summary: the page fetches it.
    await summary.getByRole('heading', { name: 'First report' }).waitFor();
    expect(await summary.getByRole('heading', { name: 'Second report' }).count()).toBe(0);

    openGate(dir, 'second');
    await summary.getByRole('heading', { name: 'Second report' }).first().waitFor();
    await waitForEnd(server, execution.id);
    // Each step's share, folded below the run's.
    expect(await summary.locator('details.step-summary').count()).toBe(2);
  });
});
