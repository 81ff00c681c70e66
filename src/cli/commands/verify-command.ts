import type { DataDirCare } from '../../app/data-dir-care.js';

/**
 * `stepflow verify [--repair] [--json]` (docs/OPERATIONS.md): exit 0 when nothing is (left)
 * wrong, 1 when a problem remains.
 */
export async function verifyCommand(
  care: DataDirCare,
  options: { repair?: boolean; json?: boolean },
): Promise<number> {
  const report = await care.verify({ repair: options.repair === true });
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.ok ? 0 : 1;
  }
  for (const problem of report.problems) {
    process.stdout.write(`${problem.code}: ${problem.message}\n`);
    const fix =
      problem.repair === null
        ? '    not repaired: not safe to fix automatically'
        : problem.repaired === true
          ? `    repaired: ${problem.repair}`
          : problem.repaired === false
            ? `    not repaired (it changed meanwhile): ${problem.repair}`
            : `    --repair would ${problem.repair}`;
    process.stdout.write(`${fix}\n`);
  }
  const { checked } = report;
  const left = report.problems.filter((problem) => problem.repaired !== true).length;
  const repaired = report.problems.length - left;
  process.stdout.write(
    `${report.problems.length === 0 ? 'ok' : `${report.problems.length} problems, ${repaired} repaired, ${left} left`}: checked the database, ${checked.artifacts} artifacts, ${checked.openRuns} open runs in ${report.durationMs} ms\n`,
  );
  return report.ok ? 0 : 1;
}
