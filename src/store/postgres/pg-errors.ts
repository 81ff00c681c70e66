import { ERROR_CODES, StepflowError } from '../../core/errors.js';

/** A driver error: node-postgres puts the SQLSTATE in `code`, a socket error its errno name. */
interface DriverError extends Error {
  code?: string;
}

/**
 * Maps a node-postgres (or socket) error to the catalog so callers never see driver codes.
 * StepflowErrors pass through unchanged. SQLSTATE classes: 53 insufficient resources (53100
 * disk_full), 08 connection, 57P admin shutdown / cannot connect now, XX internal (XX001/2 corrupt).
 */
export function toStoreError(error: unknown, context: string): unknown {
  if (error instanceof StepflowError || !(error instanceof Error)) return error;
  const code = (error as DriverError).code ?? '';
  const message = `${context}: ${error.message}`;
  const as = (errorCode: (typeof ERROR_CODES)[keyof typeof ERROR_CODES]): StepflowError =>
    new StepflowError(errorCode, message, { cause: error, details: { postgres: code } });
  if (code === '53100' || code === 'ENOSPC') {
    return new StepflowError(ERROR_CODES.STORE_FULL, `${context}: disk full (${error.message})`, {
      cause: error,
      details: { postgres: code },
    });
  }
  if (
    code.startsWith('08') ||
    code.startsWith('53') ||
    code.startsWith('57P') ||
    code === '40001' ||
    code === '40P01' ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'ENOTFOUND' ||
    code === 'ETIMEDOUT' ||
    code === 'EHOSTUNREACH' ||
    /Connection terminated|timeout exceeded when trying to connect/i.test(error.message)
  ) {
    return as(ERROR_CODES.STORE_UNAVAILABLE);
  }
  if (code === 'XX001' || code === 'XX002') return as(ERROR_CODES.STORE_CORRUPT);
  if (code === '23503') {
    return new StepflowError(
      ERROR_CODES.NOT_FOUND,
      `${context}: it refers to an execution that does not exist`,
      {
        cause: error,
        details: { postgres: code },
      },
    );
  }
  // 22021: a NUL (or other byte PostgreSQL text refuses) in a field that is not log text.
  if (code === '22021' || code === '22P05') return as(ERROR_CODES.VALIDATION);
  return as(ERROR_CODES.INTERNAL);
}
