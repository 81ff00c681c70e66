import type { AuditAction, AuditFilter, AuditObjectKind, AuditPage, NewAuditEntry } from '../core/audit.js';
import { isStepflowError } from '../core/errors.js';
import type { AuditStore } from '../store/audit-store.js';

/** At most this many entries per append (PostgreSQL's bound parameters stay far below its limit). */
const MAX_BATCH = 500;

/**
 * The audit log's use cases (docs/AUDIT.md). `record` never waits for the database and never
 * fails its caller: entries recorded in one turn of the event loop go to the store in one append,
 * so a burst of requests costs one transaction, and an audit write never holds up a request or
 * ingest. A failed append is reported to `onError` (the server logs it), never thrown at the action
 * it describes. Reads and `flush` see every entry recorded before them.
 */
export interface Audit {
  record(entry: Omit<NewAuditEntry, 'at'> & { at?: string }): void;
  /** Resolves once everything recorded so far is stored (the CLI before it exits; reads). */
  flush(): Promise<void>;
  list(filter: AuditFilter, page: { limit: number; before?: string }): Promise<AuditPage>;
}

export function createAudit({
  store,
  now = () => new Date(),
  onError = (error) => console.error(`audit log: ${error instanceof Error ? error.message : String(error)}`),
}: {
  store: AuditStore;
  now?: () => Date;
  onError?: (error: unknown) => void;
}): Audit {
  let pending: NewAuditEntry[] = [];
  let writing: Promise<void> = Promise.resolve();
  let scheduled = false;

  const write = (): Promise<void> => {
    scheduled = false;
    const batch = pending;
    pending = [];
    // Appends run one after another, so ids follow the order entries were recorded.
    writing = writing.then(async () => {
      for (let start = 0; start < batch.length; start += MAX_BATCH) {
        await store.appendAudit(batch.slice(start, start + MAX_BATCH)).catch(onError);
      }
    });
    return writing;
  };

  const flush = async (): Promise<void> => {
    if (pending.length > 0) await write();
    else await writing;
  };

  return {
    record(entry) {
      pending.push({ ...entry, at: entry.at ?? now().toISOString() });
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => void write());
      }
    },
    flush,
    async list(filter, page) {
      await flush();
      return store.listAudit(filter, page);
    },
  };
}

/**
 * Runs a change made by the CLI on the data dir or database itself (`stepflow users`, `stepflow
 * settings`) and records it as the `local` actor's, with its outcome: `ok`, or `failed` with the
 * error's code (then rethrown). Only what is named here is recorded: never a value or a password.
 */
export async function recordLocalChange<T>(
  audit: Pick<Audit, 'record'>,
  what: { action: AuditAction; objectKind: AuditObjectKind; objectId: string },
  change: () => Promise<T>,
): Promise<T> {
  const entry = { actorKind: 'local', actor: 'local', token: null, ip: null, via: 'cli', ...what } as const;
  try {
    const result = await change();
    audit.record({ ...entry, outcome: 'ok', errorCode: null });
    return result;
  } catch (error) {
    audit.record({
      ...entry,
      outcome: 'failed',
      errorCode: isStepflowError(error) ? error.code : 'internal',
    });
    throw error;
  }
}
