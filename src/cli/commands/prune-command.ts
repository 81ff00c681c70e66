import type { Application } from '../../app/application.js';
import { describeRetentionReport } from '../../app/retention.js';

/**
 * `stepflow prune [--dry-run] [--json] [--vacuum]`: one retention sweep now, through the
 * application, on the data dir or `--database-url`. A server on the same data dir may sweep at
 * the same time: each change re-checks the run, so neither undoes or repeats the other's work.
 */
export async function pruneCommand(
  app: Application,
  options: { dryRun?: boolean; json?: boolean; vacuum?: boolean },
): Promise<number> {
  if (options.vacuum && !options.dryRun) {
    const vacuum = app.maintenance?.vacuum;
    if (vacuum === undefined) {
      process.stderr.write('--vacuum: this database gives space back by itself (nothing to convert)\n');
    } else {
      const outcome = await vacuum.call(app.maintenance);
      if (!options.json) {
        process.stdout.write(
          `vacuumed: database ${outcome.dbBytesBefore} → ${outcome.dbBytesAfter} bytes; later sweeps shrink it in steps\n`,
        );
      }
    }
  }
  const report = await app.retention.sweep({ dryRun: options.dryRun === true });
  const summary = describeRetentionReport(report);
  process.stdout.write(
    options.json ? `${JSON.stringify({ ...report, summary }, null, 2)}\n` : `${summary}\n`,
  );
  return 0;
}

/** `stepflow pin <id>` / `stepflow unpin <id>`. */
export async function pinCommand(app: Application, id: string, pinned: boolean): Promise<number> {
  const execution = await app.executions.pin(id, pinned);
  process.stdout.write(`${execution.id} ${pinned ? 'pinned: retention never expires it' : 'unpinned'}\n`);
  return 0;
}
