import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

// A name and a command carrying what a hostile or careless submitter could put there: a window-title
// OSC, a screen clear, a bare carriage return that would hide the start of the line.
const NAME = 'deploy\x1b]0;owned\x07\x1b[2J\rprod';
const COMMAND = 'echo "one"\necho "two\x1b[8m"; exit 3';

describe('CLI output of user-given text', () => {
  it('never writes the escape sequences or control characters of a run to the terminal', async () => {
    const dataDir = tempDir();
    const run = await runCli(['run', '--name', NAME, '--', 'sh', '-c', COMMAND], { dataDir });
    expect(run.code).toBe(3);
    const ls = await runCli(['ls'], { dataDir });
    const id = (
      JSON.parse((await runCli(['ls', '--json'], { dataDir })).stdout) as { items: { id: string }[] }
    ).items[0]!.id;
    const shown = await runCli(['show', id], { dataDir });
    // The script's own output passes through as `docker run` would; the summary under it does not.
    const summary = run.stdout.slice(run.stdout.indexOf('✗ failed'));
    for (const output of [summary, ls.stdout, shown.stdout]) {
      for (const control of ['\x1b', '\r', '\x07']) expect(output).not.toContain(control);
    }
    expect(summary).toContain('deploy\uFFFDprod');
    expect(ls.stdout).toContain('deploy\uFFFDprod');
    // A multi-line command keeps its lines, each under the first one.
    expect(shown.stdout).toMatch(/command {3}sh -c echo "one"\n {12}echo "two"; exit 3\n/);
    // --json stays the data as stored: escaping is the display's job.
    expect(JSON.parse((await runCli(['show', id, '--json'], { dataDir })).stdout)).toMatchObject({
      name: NAME,
    });
  });
});
