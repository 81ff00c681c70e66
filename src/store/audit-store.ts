import type { AuditFilter, AuditPage, NewAuditEntry } from '../core/audit.js';

/**
 * The audit log port (docs/AUDIT.md): entries appended in batches, listed newest first with
 * filters and keyset paging. Append-only: nothing here changes or deletes an entry. Every backend
 * passes `audit-store-contract.ts`.
 */
export interface AuditStore {
  /** Appends entries in one transaction, in order; each gets a larger id than any before it. */
  appendAudit(entries: readonly NewAuditEntry[]): Promise<void>;
  /**
   * Entries matching `filter`, newest (largest id) first, at most `limit`; `before`: the
   * `nextCursor` of the previous page. A cursor that is not one is a `validation_failed` error.
   */
  listAudit(filter: AuditFilter, page: { limit: number; before?: string }): Promise<AuditPage>;
}
