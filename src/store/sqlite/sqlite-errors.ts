import Database from 'better-sqlite3';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';

/**
 * Maps a better-sqlite3 error to the catalog so adapters never see driver codes. Errors that are
 * already StepflowErrors pass through unchanged.
 */
export function toStoreError(error: unknown, context: string): unknown {
  if (error instanceof StepflowError) return error;
  // SQLite turns ENOSPC into SQLITE_FULL; a file operation around it (mkdir, a copy) reports ENOSPC.
  if (isNoSpace(error)) {
    return new StepflowError(ERROR_CODES.STORE_FULL, `${context}: disk full (${(error as Error).message})`, {
      cause: error,
      details: { errno: 'ENOSPC' },
    });
  }
  if (!(error instanceof Database.SqliteError)) return error;
  const code = error.code;
  const message = `${context}: ${error.message}`;
  if (code.startsWith('SQLITE_FULL')) {
    return new StepflowError(ERROR_CODES.STORE_FULL, message, { cause: error, details: { sqlite: code } });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StepflowError(ERROR_CODES.STORE_UNAVAILABLE, message, {
      cause: error,
      details: { sqlite: code },
    });
  }
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB')) {
    return new StepflowError(ERROR_CODES.STORE_CORRUPT, message, { cause: error, details: { sqlite: code } });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new StepflowError(
      ERROR_CODES.NOT_FOUND,
      `${context}: it refers to an execution that does not exist`,
      {
        cause: error,
        details: { sqlite: code },
      },
    );
  }
  if (
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_IOERR') ||
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_PERM')
  ) {
    return new StepflowError(ERROR_CODES.STORE_UNAVAILABLE, message, {
      cause: error,
      details: { sqlite: code },
    });
  }
  return new StepflowError(ERROR_CODES.INTERNAL, message, { cause: error, details: { sqlite: code } });
}

/** Runs `operation` if the connection is open; driver errors leave as catalog errors. */
export function guarded<T>(db: Database.Database, context: string, operation: () => T): T {
  if (!db.open) throw new StepflowError(ERROR_CODES.STORE_UNAVAILABLE, `${context}: the store is closed`);
  try {
    return operation();
  } catch (error) {
    throw toStoreError(error, context);
  }
}

function isNoSpace(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === 'ENOSPC';
}
