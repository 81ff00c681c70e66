import { runningLate } from '../../core/running-late.js';
import type { ExecutionReadSource } from '../execution-source.js';
import {
  colorsFor,
  EXECUTION_ICONS,
  formatDuration,
  formatTime,
  paintStatus,
  printable,
  table,
} from '../format.js';
import { parseLimit, parseStatuses } from '../parse-options.js';

export interface ListCommandOptions {
  json?: boolean;
  status?: string;
  limit?: string;
}

/** `stepflow ls`: newest first. */
export async function listCommand(source: ExecutionReadSource, options: ListCommandOptions): Promise<number> {
  const statuses = parseStatuses(options.status);
  const limit = parseLimit(options.limit) ?? 20;
  const page = await source.list({ ...(statuses ? { status: statuses } : {}), limit });
  // On stderr, so --json output stays JSON: damaged rows are left out of the list.
  for (const problem of page.problems ?? []) {
    process.stderr.write(`warning: ${problem.error}\n`);
  }
  if (options.json) {
    // The API's page, so a script can follow `nextCursor` with the REST API.
    const { problems: _problems, ...body } = page;
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    return 0;
  }
  const c = colorsFor(process.stdout);
  if (page.items.length === 0) {
    process.stdout.write('No executions yet. Start one with: stepflow run -- <command>\n');
    return 0;
  }
  const now = Date.now();
  const rows = page.items.map((e) => [
    e.id,
    // The fixed threshold only: the percentile one needs the job's history (the dashboard gets it live).
    paintStatus(c, e.status, `${EXECUTION_ICONS[e.status]} ${e.status}`) +
      (runningLate(e, now) === null ? '' : ` ${c.yellow('late')}`),
    formatTime(e.startedAt ?? e.createdAt),
    formatDuration(e.durationMs),
    e.exitCode === null ? '' : String(e.exitCode),
    printable(e.name),
  ]);
  const header = ['ID', 'STATUS', 'STARTED', 'DURATION', 'EXIT', 'NAME'];
  process.stdout.write(table([header.map((h) => c.dim(h)), ...rows]));
  return 0;
}
