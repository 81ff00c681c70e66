import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

describe('stepflow show', () => {
  it("prints the run's outputs, says that it has a summary, and prints that with --summary", async () => {
    const dataDir = tempDir();
    const script = path.join(ROOT, 'test/fixtures/server/step-summaries.sh');
    expect((await runCli(['run', '--', script], { dataDir })).code).toBe(0);
    const ls = await runCli(['ls', '--json', '--limit', '1'], { dataDir });
    const [latest] = (JSON.parse(ls.stdout) as { items: { id: string }[] }).items;

    const shown = await runCli(['show', latest!.id], { dataDir });

    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(
      'Outputs\n  legacy=from set-output\n  notes=first line\n    second line\n  version=1.2.3\n',
    );
    expect(shown.stdout).toContain(
      `Summary Markdown from 2 steps: see it in the dashboard, or print it with \`stepflow show ${latest!.id} --summary\``,
    );
    const summary = await runCli(['show', latest!.id, '--summary'], { dataDir });
    expect(summary.code).toBe(0);
    expect(summary.stdout).toBe('## Build ok\n| suite | passed |\n|---|---|\n| unit | 42 |\n');
  });

  it('prints outputs and the summary without the escape sequences a script put in them', async () => {
    const dataDir = tempDir();
    const script = path.join(tempDir(), 'escapes.sh');
    fs.writeFileSync(
      script,
      `printf 'title=\\033]0;pwned\\007kept\\n' >>"$STEPFLOW_OUTPUT"
printf '# Report \\033[2J\\n' >>"$STEPFLOW_STEP_SUMMARY"
`,
    );
    expect((await runCli(['run', '--', 'bash', script], { dataDir })).code).toBe(0);
    const ls = await runCli(['ls', '--json', '--limit', '1'], { dataDir });
    const [latest] = (JSON.parse(ls.stdout) as { items: { id: string }[] }).items;

    const shown = await runCli(['show', latest!.id], { dataDir });
    expect(shown.stdout).toContain('  title=kept\n');
    const summary = await runCli(['show', latest!.id, '--summary'], { dataDir });
    expect(summary.stdout).toBe('# Report \n');
    expect(shown.stdout + summary.stdout).not.toContain('\u001b');
  });
});
