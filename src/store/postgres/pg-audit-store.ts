import type pg from 'pg';
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
import { toStoreError } from './pg-errors.js';

const COLUMN_COUNT = AUDIT_INSERT_COLUMNS.split(', ').length;

/** {@link AuditStore} on the PostgreSQL backend's pool: a batch is one multi-row INSERT (atomic). */
export class PostgresAuditStore implements AuditStore {
  constructor(private readonly pool: pg.Pool) {}

  async appendAudit(entries: readonly NewAuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const rows = entries.map(
      (_, row) =>
        `(${Array.from({ length: COLUMN_COUNT }, (_, column) => `$${row * COLUMN_COUNT + column + 1}`).join(', ')})`,
    );
    await this.guard('cannot record the audit entries', () =>
      this.pool.query(
        `INSERT INTO audit_log (${AUDIT_INSERT_COLUMNS}) VALUES ${rows.join(', ')}`,
        entries.flatMap(auditValues),
      ),
    );
  }

  async listAudit(filter: AuditFilter, page: { limit: number; before?: string }): Promise<AuditPage> {
    const before = page.before === undefined ? undefined : parseAuditCursor(page.before);
    const where = auditWhere(filter, before, (n) => `$${n}`);
    const { rows } = await this.guard('cannot read the audit log', () =>
      this.pool.query<AuditRow>(
        `SELECT ${AUDIT_COLUMNS} FROM audit_log ${where.sql} ORDER BY id DESC LIMIT $${where.values.length + 1}`,
        [...where.values, page.limit + 1],
      ),
    );
    const entries = rows.slice(0, page.limit).map(auditFromRow);
    const last = entries.at(-1);
    return { entries, nextCursor: rows.length > page.limit && last ? last.id : null };
  }

  private async guard<T>(context: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw toStoreError(error, context);
    }
  }
}
