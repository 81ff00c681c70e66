import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

// One annotation before any step, one in each of two steps, one with a column.
const SCRIPT = `#!/bin/sh
echo "::notice::starting"
echo "STEP_START:Build"
echo "::error file=src/app.ts,line=12,col=5,title=Lint::x is undefined"
echo "STEP_COMPLETE:Build"
echo "STEP_START:Test"
echo "::warning file=test/a.py,line=3::slow test"
echo "STEP_COMPLETE:Test"
`;

describe('annotations in the CLI', () => {
  it('prints each annotation under its step, with file:line:col, in show and in the run summary', async () => {
    const dataDir = tempDir();
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'annotate.sh'), SCRIPT, { mode: 0o755 });
    const run = await runCli(['run', '--', './annotate.sh'], { dataDir, cwd });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('error src/app.ts:12:5: x is undefined');
    expect(run.stdout).toContain('warning test/a.py:3: slow test');

    const ls = await runCli(['ls', '--json'], { dataDir });
    const id = (JSON.parse(ls.stdout) as { items: { id: string }[] }).items[0]!.id;
    const shown = await runCli(['show', id], { dataDir });
    expect(shown.code).toBe(0);
    const lines = shown.stdout.split('\n');
    const at = (text: string): number => lines.findIndex((line) => line.includes(text));
    const build = at(' Build ');
    const test = at(' Test ');
    const error = at('error src/app.ts:12:5: Lint: x is undefined');
    const warning = at('warning test/a.py:3: slow test');
    expect([build, test, error, warning].every((index) => index >= 0)).toBe(true);
    // Each right after its own step, indented deeper than the step's row.
    expect(error).toBe(build + 1);
    expect(warning).toBe(test + 1);
    const indent = (line: string | undefined): number => line!.length - line!.trimStart().length;
    expect(indent(lines[error])).toBeGreaterThan(indent(lines[build]));
    // The one printed before any step belongs to the run.
    expect(lines.slice(at('Annotations'))).toContainEqual('  notice starting');
  });
});
