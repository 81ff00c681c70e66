import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import type { ArchiveLimits } from '../../core/projects.js';
import { archiveRejected, ArchiveWriter, RATIO_FLOOR_BYTES } from './archive-writer.js';

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
/** `versionMadeBy`'s high byte for archives made on Unix, where the attributes hold a mode. */
const UNIX = 3;

/**
 * Extracts a ZIP into `root` (a fresh folder). Every entry of the central directory is checked
 * first — name, kind (no symlink, device or FIFO), encryption, count, declared total, ratio — so a
 * bad archive writes nothing; then each is inflated with its bytes counted, so an entry that holds
 * more than it declares (a bomb whose sizes lie) is stopped while streaming.
 */
export async function extractZip(
  file: string,
  root: string,
  limits: ArchiveLimits,
): Promise<{ files: number; bytes: number }> {
  const zip = await openZip(file);
  try {
    const writer = new ArchiveWriter(root, limits);
    const planned: { entry: yauzl.Entry; name: string; relative: string; executable: boolean }[] = [];
    let declaredTotal = 0;
    for await (const entry of entriesOf(zip)) {
      // Names as UTF-8 whatever the flag says: yauzl's own decoding refuses bad names without
      // saying which rule, and ours must name it.
      const name = entry.fileNameRaw.toString('utf8');
      const relative = writer.check(name);
      const unixMode = entry.versionMadeBy >> 8 === UNIX ? entry.externalFileAttributes >>> 16 : 0;
      const kind = unixMode & S_IFMT;
      if (kind === S_IFLNK) throw archiveRejected(name, 'link', 'symbolic links are not accepted');
      if (kind !== 0 && kind !== S_IFREG && kind !== S_IFDIR)
        throw archiveRejected(name, 'special-file', 'only files and folders are accepted');
      if (entry.isEncrypted()) throw archiveRejected(name, 'encrypted', 'encrypted entries are not accepted');
      if (name.endsWith('/') || kind === S_IFDIR) {
        planned.push({ entry, name, relative, executable: false });
        continue;
      }
      declaredTotal += entry.uncompressedSize;
      if (declaredTotal > limits.maxBytes)
        throw archiveRejected(name, 'total-size', `the archive holds more than ${limits.maxBytes} bytes`);
      if (
        entry.uncompressedSize > RATIO_FLOOR_BYTES &&
        entry.uncompressedSize > limits.maxRatio * Math.max(entry.compressedSize, 1)
      )
        throw archiveRejected(
          name,
          'ratio',
          `it inflates ${entry.compressedSize} bytes to ${entry.uncompressedSize} (more than ${limits.maxRatio} times)`,
        );
      planned.push({ entry, name, relative, executable: (unixMode & 0o111) !== 0 });
    }
    for (const { entry, name, relative, executable } of planned) {
      if (name.endsWith('/') || ((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFDIR) {
        await writer.directory(relative);
        continue;
      }
      const content = await openEntry(zip, entry, name);
      await writer.file(name, relative, content, { declared: entry.uncompressedSize, executable });
    }
    return { files: writer.files, bytes: writer.bytes };
  } finally {
    zip.close();
  }
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(
      file,
      // Sizes are checked by ArchiveWriter (naming the entry); names by core/projects.ts.
      { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: false },
      (error, zip) => {
        if (error) reject(archiveRejected(null, 'damaged', `not a readable ZIP: ${error.message}`));
        else resolve(zip);
      },
    );
  });
}

async function* entriesOf(zip: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  for (;;) {
    const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
      const onEntry = (value: yauzl.Entry): void => {
        zip.off('end', onEnd).off('error', onError);
        resolve(value);
      };
      const onEnd = (): void => {
        zip.off('entry', onEntry).off('error', onError);
        resolve(null);
      };
      const onError = (error: Error): void => {
        zip.off('entry', onEntry).off('end', onEnd);
        reject(archiveRejected(null, 'damaged', `not a readable ZIP: ${error.message}`));
      };
      zip.once('entry', onEntry).once('end', onEnd).once('error', onError);
      zip.readEntry();
    });
    if (entry === null) return;
    yield entry;
  }
}

function openEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, name: string): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error) reject(archiveRejected(name, 'damaged', error.message));
      else resolve(stream);
    });
  });
}
