import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();

// Build, then Test, which fails until the file `fixed` exists. Resuming from Test skips the build,
// as docs/MARKERS.md shows a script doing.
const PIPELINE = `#!/bin/sh
echo "STEP_START:Build"
if [ "$STEPFLOW_RESUME_FROM" = "Test" ]; then echo "build skipped"; else echo "building"; fi
echo "STEP_COMPLETE:Build"
echo "STEP_START:Test"
[ -f fixed ] || { echo "STEP_ERROR:2 tests failed"; exit 3; }
echo "tests pass"
echo "STEP_COMPLETE:Test"
`;

interface Shown {
  id: string;
  status: string;
  rerunOf: string | null;
  resumeFrom: string | null;
}

async function setUp(): Promise<{ dataDir: string; cwd: string; failedId: string }> {
  const dataDir = tempDir();
  const cwd = tempDir();
  fs.writeFileSync(path.join(cwd, 'pipeline.sh'), PIPELINE, { mode: 0o755 });
  const first = await runCli(['run', '--', './pipeline.sh'], { dataDir, cwd });
  expect(first.code).toBe(3);
  const ls = await runCli(['ls', '--json'], { dataDir });
  const [failed] = (JSON.parse(ls.stdout) as { items: Shown[] }).items;
  expect(failed).toMatchObject({ status: 'failed', rerunOf: null });
  return { dataDir, cwd, failedId: failed!.id };
}

async function show(dataDir: string, id: string): Promise<Shown> {
  return JSON.parse((await runCli(['show', id, '--json'], { dataDir })).stdout) as Shown;
}

describe('stepflow rerun', () => {
  it('--from-step runs the execution again with STEPFLOW_RESUME_FROM, linked back, exiting as the run does', async () => {
    const { dataDir, cwd, failedId } = await setUp();
    fs.writeFileSync(path.join(cwd, 'fixed'), '');

    const resumed = await runCli(['rerun', failedId, '--from-step', 'Test'], { dataDir });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const [, newId] = /^re-run of \S+ from step "Test": (\S+)$/m.exec(resumed.stdout) ?? [];
    expect(resumed.stdout).toContain(`re-run of ${failedId} from step "Test": ${newId}`);
    expect(resumed.stdout).toContain('build skipped');
    expect(resumed.stdout).toContain('tests pass');
    expect(resumed.stdout).toMatch(/succeeded/);
    expect(await show(dataDir, newId!)).toMatchObject({
      status: 'succeeded',
      rerunOf: failedId,
      resumeFrom: 'Test',
    });

    // Without a step everything runs again; the exit code is the script's.
    fs.rmSync(path.join(cwd, 'fixed'));
    const full = await runCli(['rerun', newId!], { dataDir });
    expect(full.code).toBe(3);
    expect(full.stdout).toContain(`re-run of ${newId}: `);
    expect(full.stdout).toContain('building');
    expect(full.stdout).not.toContain('build skipped');
  });

  it('refuses a step the execution does not have, naming its steps, and starts nothing', async () => {
    const { dataDir, failedId } = await setUp();
    const refused = await runCli(['rerun', failedId, '--from-step', 'Deploy'], { dataDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `stepflow: validation_failed: fromStep "Deploy" is not a step of execution ${failedId} (its steps: "Build", "Test")\n`,
    );
    expect(refused.stdout).toBe('');
    const ls = await runCli(['ls', '--json'], { dataDir });
    expect((JSON.parse(ls.stdout) as { items: Shown[] }).items.map((e) => e.id)).toEqual([failedId]);
  });
});
