const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a component of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'path is too long',
  ENXIO: 'not a regular file or directory',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  EEXIST: 'destination already exists',
};

export function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

/** One line of plain English for a file-system error, fit for a warning line. */
export function describeFsError(error: NodeJS.ErrnoException): string {
  const code = error.code ?? '';
  const known = REASONS[code];
  if (known !== undefined) return known;
  const firstLine = error.message.split('\n', 1)[0] ?? '';
  return code === '' ? firstLine : `${code}: ${firstLine}`;
}
