import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import { projectPathProblem, type ArchiveLimits } from '../../core/projects.js';

/** Which rule refused an entry (the `rule` in the 400's details; docs/WORKSPACE.md). */
export type ArchiveRule =
  | 'path'
  | 'link'
  | 'special-file'
  | 'encrypted'
  | 'duplicate'
  | 'entries'
  | 'total-size'
  | 'ratio'
  | 'declared-size'
  | 'damaged';

/** An entry's uncompressed size below which its ratio is not checked: too small to be a bomb. */
export const RATIO_FLOOR_BYTES = 1024 * 1024;

export function archiveRejected(entry: string | null, rule: ArchiveRule, message: string): StepflowError {
  const where = entry === null ? 'the archive' : `entry ${JSON.stringify(entry.slice(0, 300))}`;
  return new StepflowError(ERROR_CODES.ARCHIVE_REJECTED, `${where} refused (${rule}): ${message}`, {
    details: { entry, rule },
  });
}

/**
 * Writes checked entries into `root`, a fresh folder nobody else uses: every name is checked
 * ({@link projectPathProblem}) before anything of it is written, and as no link is ever created,
 * a checked name cannot lead outside `root`. Counts entries and bytes against the limits; files
 * are created exclusively (a second entry of the same name is refused, not overwritten).
 */
export class ArchiveWriter {
  files = 0;
  bytes = 0;
  private entries = 0;
  private readonly directories = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly limits: ArchiveLimits,
  ) {}

  /** The entry's path inside the project; refuses a bad name or one entry too many. */
  check(name: string): string {
    this.entries++;
    if (this.entries > this.limits.maxEntries)
      throw archiveRejected(name, 'entries', `more than ${this.limits.maxEntries} entries`);
    const checked = projectPathProblem(name);
    if ('problem' in checked) throw archiveRejected(name, 'path', checked.problem);
    return checked.path;
  }

  /** Refuses an entry whose declared size alone passes the total. */
  declare(name: string, size: number): void {
    if (this.bytes + size > this.limits.maxBytes)
      throw archiveRejected(name, 'total-size', `the archive holds more than ${this.limits.maxBytes} bytes`);
  }

  async directory(relative: string): Promise<void> {
    if (this.directories.has(relative)) return;
    await mkdir(path.join(this.root, relative), { recursive: true });
    this.directories.add(relative);
  }

  /**
   * Streams one file's bytes to `relative`, stopping as soon as it passes `declared` (a lying
   * size) or the total; `executable` keeps the one mode bit a script needs.
   */
  async file(
    name: string,
    relative: string,
    content: Readable | AsyncIterable<Buffer>,
    { declared, executable }: { declared: number | null; executable: boolean },
  ): Promise<void> {
    const parent = path.posix.dirname(relative);
    if (parent !== '.') await this.directory(parent);
    let written = 0;
    const count = new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        written += chunk.length;
        this.bytes += chunk.length;
        if (declared !== null && written > declared)
          return done(
            archiveRejected(name, 'declared-size', `it holds more than the ${declared} bytes it declares`),
          );
        if (this.bytes > this.limits.maxBytes)
          return done(
            archiveRejected(name, 'total-size', `the archive holds more than ${this.limits.maxBytes} bytes`),
          );
        done(null, chunk);
      },
    });
    const target = path.join(this.root, relative);
    try {
      await pipeline(
        content,
        count,
        createWriteStream(target, { flags: 'wx', mode: executable ? 0o755 : 0o644 }),
      );
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'EISDIR' || code === 'ENOTDIR')
        throw archiveRejected(name, 'duplicate', 'another entry has this path (or a folder of it)');
      throw error;
    }
    this.files++;
  }
}
