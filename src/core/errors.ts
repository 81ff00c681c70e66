/**
 * The error catalog: every error StepFlow raises on purpose has a stable code. Adapters map codes
 * to HTTP statuses or CLI exit codes in one place each. A failing user script is not an error: it
 * is an execution with a status.
 */
export const ERROR_CODES = {
  VALIDATION: 'validation_failed',
  USAGE: 'usage',
  NOT_FOUND: 'not_found',
  UNAUTHORIZED: 'unauthorized',
  FORBIDDEN: 'forbidden',
  PAYLOAD_TOO_LARGE: 'payload_too_large',
  UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  RANGE_NOT_SATISFIABLE: 'range_not_satisfiable',
  CONFLICT: 'conflict',
  SPAWN_FAILED: 'spawn_failed',
  STORE_UNAVAILABLE: 'store_unavailable',
  /** The disk holding the store is full (SQLITE_FULL, ENOSPC): nothing new can be saved until space is freed. */
  STORE_FULL: 'store_full',
  STORE_CORRUPT: 'store_corrupt',
  /**
   * One stored record (a job, an execution) this version cannot turn back into its domain object:
   * written by an older version with a value now out of range, or damaged. It can be deleted.
   */
  UNREADABLE: 'unreadable',
  ARTIFACT_REJECTED: 'artifact_rejected',
  /** The CLI could not reach a StepFlow server (refused, timed out, not StepFlow). */
  SERVER_UNREACHABLE: 'server_unreachable',
  INTERNAL: 'internal',
  /**
   * A worker's report of a run it no longer holds: the run is `lost` or ended, or was claimed again
   * (a newer attempt). Fencing: a worker back from a network partition cannot overwrite anything.
   */
  STALE_ATTEMPT: 'stale_attempt',
  /** A backup archive that cannot be restored: a damaged or unexpected member, a newer schema. */
  BACKUP_INVALID: 'backup_invalid',
  /** An operation the configured backend does not have (a backup of a PostgreSQL store). */
  UNSUPPORTED: 'unsupported',
  /** Retention removed it (a run's log text, an artifact's file); its record stays (docs/RETENTION.md). */
  EXPIRED: 'expired',
  /** Too many attempts (sign-in failures) from one address or for one user: try again later. */
  RATE_LIMITED: 'rate_limited',
  /**
   * The key for stored secrets is missing, malformed, or not the one they were sealed with
   * (docs/SECRETS.md): nothing secret can be stored or run until the server has the right one.
   */
  SECRET_KEY: 'secret_key',
  /**
   * An uploaded project archive refused (docs/WORKSPACE.md): an entry that would leave the project,
   * a link, a device, or a limit passed; details name the entry and the rule. Nothing was written.
   */
  ARCHIVE_REJECTED: 'archive_rejected',
  /** A conditional request's precondition (`If-Match`) failed: the file changed since it was read. */
  PRECONDITION_FAILED: 'precondition_failed',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

export class StepflowError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StepflowError';
    this.code = code;
    this.details = options.details;
  }
}

export function isStepflowError(error: unknown): error is StepflowError {
  return error instanceof StepflowError;
}

export const notFound = (what: string, id: string): StepflowError =>
  new StepflowError(ERROR_CODES.NOT_FOUND, `${what} ${JSON.stringify(id)} not found`);

export const validationError = (message: string, details?: unknown): StepflowError =>
  new StepflowError(ERROR_CODES.VALIDATION, message, { details });
