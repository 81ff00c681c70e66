import type Database from 'better-sqlite3';
import type { AuditFilter, AuditPage, NewAuditEntry } from '../../core/audit.js';
import type { AuditStore } from '../audit-store.js';
import {
  AUDIT_COLUMNS,
  AUDIT_INSERT_COLUMNS,
  auditFromRow,
  auditValues,
  auditWhere,
  parseAuditCursor,
  type AuditRow,
} from '../audit-row.js';
import { guarded } from './sqlite-errors.js';

/** {@link AuditStore} on the execution store's connection (same database file). */
export class SqliteAuditStore implements AuditStore {
  private readonly insert: Database.Statement<(string | null)[]>;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare<(string | null)[]>(
      `INSERT INTO audit_log (${AUDIT_INSERT_COLUMNS}) VALUES (${'?, '.repeat(10)}?)`,
    );
  }

  async appendAudit(entries: readonly NewAuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    guarded(this.db, 'cannot record the audit entries', () =>
      this.db.transaction(() => {
        for (const entry of entries) this.insert.run(...auditValues(entry));
      })(),
    );
  }

  async listAudit(filter: AuditFilter, page: { limit: number; before?: string }): Promise<AuditPage> {
    const before = page.before === undefined ? undefined : parseAuditCursor(page.before);
    return guarded(this.db, 'cannot read the audit log', () => {
      const where = auditWhere(filter, before, () => '?');
      const rows = this.db
        .prepare<(string | number)[], AuditRow>(
          `SELECT ${AUDIT_COLUMNS} FROM audit_log ${where.sql} ORDER BY id DESC LIMIT ?`,
        )
        .all(...where.values, page.limit + 1);
      const entries = rows.slice(0, page.limit).map(auditFromRow);
      const last = entries.at(-1);
      return { entries, nextCursor: rows.length > page.limit && last ? last.id : null };
    });
  }
}
