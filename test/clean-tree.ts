import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';

/**
 * Vitest global setup: the suite must leave the clone as it found it (README: `git status` stays
 * clean after the test command). Whatever a test writes goes to a temp dir; screenshots for the
 * docs are `npm run screenshots`, not a side effect of the tests. Compared before and after, so a
 * developer's uncommitted work does not count against the run.
 */
function treeState(): string | undefined {
  try {
    const status = execFileSync('git', ['status', '--porcelain=v1', '--untracked-files=all'], {
      encoding: 'utf8',
    });
    const diff = execFileSync('git', ['diff', 'HEAD'], { maxBuffer: 256 * 1024 * 1024 });
    return `${status}\n${createHash('sha256').update(diff).digest('hex')}`;
  } catch {
    // Not a git checkout (an unpacked tarball): nothing to compare.
    return undefined;
  }
}

export default function setup(): () => void {
  // `npm run screenshots` rewrites docs/screenshots on purpose.
  if (process.env.STEPFLOW_SCREENSHOTS === '1') return () => {};
  const before = treeState();
  return () => {
    const after = treeState();
    if (before === undefined || after === before) return;
    // A throw here is only logged by vitest ("error during close") and the run still exits 0.
    process.stderr.write(
      `\nFAIL: the working tree changed during the test run: tests must write to temp dirs only (or files were edited while it ran).\n` +
        `git status before:\n${before}\nafter:\n${after}\n`,
    );
    process.exitCode = 1;
  };
}
