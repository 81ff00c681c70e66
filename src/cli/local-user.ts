import os from 'node:os';

/**
 * Who a run started from this terminal is created by (Execution.createdBy): the OS user, or
 * `local` where the system cannot name it (a container's uid without a passwd entry).
 */
export function localUser(): string {
  try {
    return os.userInfo().username || 'local';
  } catch {
    return 'local'; // no passwd entry for this uid
  }
}
