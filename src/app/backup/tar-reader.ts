import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';

/** Where the reader puts one member's bytes. */
export interface TarSink {
  write(chunk: Buffer): void;
  end(): void;
}

/**
 * Reads a gzipped tar with node-tar's parser (strict: a damaged header or a truncated archive is an
 * error, not a warning), handing each regular file to `open(name, size)`. Any other kind of member
 * (link, device, directory) is refused, naming it, before `open` is asked: nothing of it is written.
 */
export async function readTarGz(
  input: Readable,
  open: (name: string, size: number) => TarSink,
): Promise<void> {
  const parser = new Parser({ strict: true });
  let failure: unknown;
  const fail = (error: unknown): void => {
    failure ??= error;
    // Stop reading: the rest of the archive is not looked at once one member is refused.
    input.destroy();
  };
  parser.on('entry', (entry: ReadEntry) => {
    if (failure !== undefined) return entry.resume();
    try {
      if (entry.type !== 'File' && entry.type !== 'OldFile')
        throw new Error(`member ${JSON.stringify(entry.path)} is not a regular file`);
      const sink = open(entry.path, entry.size ?? 0);
      const guarded = (step: () => void) => (): void => {
        if (failure !== undefined) return;
        try {
          step();
        } catch (error) {
          fail(error);
        }
      };
      entry.on('data', (chunk: Buffer) => guarded(() => sink.write(chunk))());
      entry.on(
        'end',
        guarded(() => sink.end()),
      );
    } catch (error) {
      entry.resume();
      fail(error);
    }
  });
  let ended = false;
  parser.on('end', () => (ended = true));
  try {
    await pipeline(input, parser);
  } catch (error) {
    throw failure ?? error;
  }
  if (failure !== undefined) throw failure;
  if (!ended) throw new Error('the archive is truncated');
}
