import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { screenOf, startInTerminal } from '../helpers/run-in-terminal.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

/** The run's id, from the summary's last line. */
const executionIdOf = (screen: string) => /stepflow show (\S+)/.exec(screen)?.[1];
/** The lines shown under a step (`  │ text`), in screen order. */
const barLines = (screen: string) => [...screen.matchAll(/^ +│ (.*)$/gm)].map((m) => m[1]);

function script(dir: string, body: string): string {
  const file = path.join(dir, 'script.sh');
  fs.writeFileSync(file, body, { mode: 0o755 });
  return file;
}

describe('stepflow run on a terminal', () => {
  it("keeps a failed run's output, stderr included, on screen, without the script's escape sequences", async () => {
    const cwd = tempDir();
    // A clear-screen and a window-title sequence in the failing line: shown as text only.
    const failing = "printf 'oops \\033[2Jsomething bad\\033]0;title\\007\\n' >&2";
    const run = startInTerminal(['run', '--', 'sh', '-c', `echo first; ${failing}; exit 3`], {
      dataDir: tempDir(),
      cwd,
      cols: 100,
      rows: 30,
    });
    const { code, raw, screen } = await run.result;
    expect(code).toBe(3);
    expect(barLines(screen)).toEqual(['first', 'oops something bad']);
    expect(raw).not.toContain('\u001b[2J');
    expect(raw).not.toContain('\u001b]0;');
    expect(screen).toMatch(/✗ failed/);
  });

  it('keeps the last 200 lines of a failed step and names the command that prints the rest', async () => {
    const cwd = tempDir();
    const file = script(
      cwd,
      [
        'echo STEP_START:setup',
        'echo setup-detail',
        'echo STEP_COMPLETE:setup',
        'echo STEP_START:build',
        'seq 1 1434',
        'echo oops something bad >&2',
        'exit 2',
      ].join('\n'),
    );
    const run = startInTerminal(['run', '--', 'sh', file], { dataDir: tempDir(), cwd, cols: 100, rows: 30 });
    const { code, screen } = await run.result;
    expect(code).toBe(2);
    const id = executionIdOf(screen);
    expect(id).toBeDefined();
    // 1,434 numbers and the error line: 1,235 left out, the last 200 shown.
    const shown = barLines(screen);
    expect(shown[0]).toBe(`… 1,235 earlier lines: stepflow logs ${id} --step build`);
    expect(shown.slice(1)).toEqual([
      ...Array.from({ length: 199 }, (_, i) => String(1236 + i)),
      'oops something bad',
    ]);
    // A step that succeeded folds away, as in BuildKit.
    expect(screen).not.toContain('setup-detail');
    expect(screen).toMatch(/✓ setup/);
  });

  it("shows the running step's last 5 lines live and leaves them on screen when the run succeeds", async () => {
    const cwd = tempDir();
    const file = script(cwd, 'seq 1 8\nwhile [ ! -e go ]; do sleep 0.05; done\n');
    const run = startInTerminal(['run', '--', 'sh', file], { dataDir: tempDir(), cwd, cols: 100, rows: 30 });
    await run.waitForScreen((screen) => barLines(screen).includes('8'));
    expect(barLines(screenOf(run.raw()))).toEqual(['4', '5', '6', '7', '8']);
    fs.writeFileSync(path.join(cwd, 'go'), '');
    const { code, screen } = await run.result;
    expect(code).toBe(0);
    expect(barLines(screen)).toEqual(['4', '5', '6', '7', '8']);
    expect(screen).toMatch(/✓ succeeded/);
  });

  it('streams all the output above the step list with -v', async () => {
    const cwd = tempDir();
    const run = startInTerminal(['run', '-v', '--', 'sh', '-c', 'echo STEP_START:count; seq 1 60'], {
      dataDir: tempDir(),
      cwd,
      cols: 100,
      rows: 30,
    });
    const { code, screen } = await run.result;
    expect(code).toBe(0);
    const numbers = [...screen.matchAll(/^(\d+)$/gm)].map((m) => Number(m[1]));
    expect(numbers).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(screen.indexOf('\n60\n')).toBeLessThan(screen.lastIndexOf('  ✓ count'));
  });

  it('prints plain lines as they come on a terminal that has no size', async () => {
    const cwd = tempDir();
    const file = script(cwd, 'echo line 1\nwhile [ ! -e go ]; do sleep 0.05; done\necho line 2\n');
    const run = startInTerminal(['run', '--', 'sh', file], { dataDir: tempDir(), cwd, cols: 0, rows: 0 });
    // Before the script ends: it waits for `go`.
    await run.waitForScreen((screen) => screen.includes('line 1'));
    fs.writeFileSync(path.join(cwd, 'go'), '');
    const { code, raw, screen } = await run.result;
    expect(code).toBe(0);
    expect(screen).toMatch(/^line 1\nline 2\n✓ Set up/m);
    // Appended, never redrawn: no cursor movement.
    expect(raw).not.toContain('\u001b[1A');
  });
});
