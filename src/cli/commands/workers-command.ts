import type { WorkerJson, WorkerListJson } from '../../protocol/worker-schemas.js';
import { requestJson, type ServerTarget } from '../jobs/jobs-api-client.js';

/**
 * `stepflow workers ls [--json]`: the workers a server knows (docs/WORKERS.md), through its API
 * (workers register with a server, not in a data dir).
 */
export async function workersListCommand(target: ServerTarget, options: { json?: boolean }): Promise<number> {
  const list = await requestJson<WorkerListJson>(target, 'GET', '/api/workers');
  if (options.json) {
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  if (list.workers.length === 0) {
    process.stdout.write('no workers have registered with this server\n');
    return 0;
  }
  const rows = list.workers.map((worker) => [
    worker.name,
    worker.live ? 'live' : 'stale',
    `${worker.running.length}/${worker.slots}`,
    worker.labels.join(',') || '-',
    ago(worker.lastSeenAt),
    worker.version,
    runsOf(worker),
  ]);
  const header = ['NAME', 'STATE', 'SLOTS', 'LABELS', 'LAST SEEN', 'VERSION', 'RUNNING'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows]) {
    process.stdout.write(
      `${row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
  return 0;
}

function runsOf(worker: WorkerJson): string {
  return (
    worker.running.map((r) => (r.attempt > 1 ? `${r.executionId}#${r.attempt}` : r.executionId)).join(',') ||
    '-'
  );
}

function ago(iso: string): string {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 120 ? `${seconds}s ago` : `${Math.round(seconds / 60)}m ago`;
}
