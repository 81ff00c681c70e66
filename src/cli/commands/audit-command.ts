import type { Audit } from '../../app/audit.js';
import { auditFilterFrom, type AuditEntry } from '../../core/audit.js';
import { formatTime, printable, table } from '../format.js';
import { parseLimit } from '../parse-options.js';

export interface AuditCommandOptions {
  json?: boolean;
  since?: string;
  until?: string;
  actor?: string;
  action?: string;
  object?: string;
  outcome?: string;
  limit?: string;
}

const MAX_LIMIT = 1000;

/**
 * `stepflow audit` (docs/AUDIT.md): the audit log of the data dir (or database), newest first,
 * through the application layer like `stepflow ls`. `--json`: the entries as JSON lines, one
 * object a line (what `GET /api/audit?format=jsonl` gives).
 */
export async function auditCommand(audit: Audit, options: AuditCommandOptions): Promise<number> {
  const filter = auditFilterFrom(options, new Date());
  const limit = parseLimit(options.limit, MAX_LIMIT) ?? 50;
  const { entries, nextCursor } = await audit.list(filter, { limit });
  if (options.json) {
    process.stdout.write(entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    return 0;
  }
  if (entries.length === 0) {
    process.stdout.write('no audit entries\n');
    return 0;
  }
  const rows = entries.map((e) => [
    formatTime(e.at),
    printable(actorOf(e)),
    e.ip ?? e.via,
    e.action,
    printable(e.objectId ?? ''),
    e.errorCode === null ? e.outcome : `${e.outcome} (${e.errorCode})`,
  ]);
  process.stdout.write(table([['TIME', 'ACTOR', 'FROM', 'ACTION', 'OBJECT', 'OUTCOME'], ...rows]));
  if (nextCursor !== null) process.stdout.write(`… older entries: --limit above ${limit}, or --until\n`);
  return 0;
}

function actorOf(entry: AuditEntry): string {
  return entry.token === null ? entry.actor : `${entry.actor} (token ${entry.token})`;
}
