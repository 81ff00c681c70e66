import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDirs } from '../../../test/helpers/temp-dir.js';
import type { LogLine } from '../../core/model.js';
import { openDatabase } from './open-database.js';
import { createRunSearcher } from './run-search.js';
import { openSearchIndex, removeSearchIndex, searchIndexPath } from './search-index.js';
import { createIndexer } from './search-indexer.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';
import type { RunSearchPage } from '../store.js';

const tempDir = useTempDirs();

describe('search across runs (SQLite: trigram index file and direct read of the rest)', () => {
  const opened: SqliteStore[] = [];
  const open = async (dataDir = tempDir()): Promise<SqliteStore> => {
    const store = await openSqliteStore({ dataDir });
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  const lines = (texts: string[], firstSeq = 1): LogLine[] =>
    texts.map((text, i) => ({
      seq: firstSeq + i,
      ts: 1_700_000_000_000,
      stream: 'stdout',
      stepId: null,
      text,
      flags: 0,
    }));
  const newRun = async (store: SqliteStore, minute: number, texts: string[]): Promise<string> => {
    const { id } = await store.createExecution({
      spec: { command: `run-${minute}`, cwd: '/' },
      status: 'running',
      createdAt: new Date(Date.UTC(2024, 0, 1, 0, 0, minute)).toISOString(),
    });
    await store.write({ lines: [{ executionId: id, lines: lines(texts) }] });
    return id;
  };

  /** Runs the background indexer's step in this process until the index holds every chunk. */
  const catchUpIndex = async (dataDir: string, bounds = {}): Promise<number> => {
    const main = await openDatabase(dataDir);
    const index = openSearchIndex(searchIndexPath(dataDir), { create: true })!;
    try {
      const step = createIndexer(index, main);
      let indexed = 0;
      for (;;) {
        const r = step(bounds);
        indexed += r.indexed;
        if (!r.more) return indexed;
      }
    } finally {
      index.close();
      main.close();
    }
  };
  const summary = (page: RunSearchPage) =>
    page.items.map((item) => [item.execution.id, item.total, item.lineTotal, item.lines.map((l) => l.seq)]);

  it('finds lines not indexed yet (read directly) and the same, exactly, once the indexer caught up', async () => {
    const dataDir = tempDir();
    const store = await open(dataDir);
    const a = await newRun(store, 0, [
      'compiling',
      'Linker \x1b[1mERR\x1b[0mOR: undefined',
      'linker error again',
    ]);
    const b = await newRun(store, 1, ['Straße gesperrt', 'no linker error here? LINKER ERROR']);
    const before = await store.searchRuns({ text: 'linker error' });
    expect(summary(before)).toEqual([
      [b, 2, 1, [2]],
      [a, 2, 2, [2, 3]],
    ]);
    expect(await catchUpIndex(dataDir)).toBe(2);
    expect(summary(await store.searchRuns({ text: 'linker error' }))).toEqual(summary(before));
    // Half indexed, half not: a run still printing.
    await store.write({ lines: [{ executionId: b, lines: lines(['linker error at the end'], 3) }] });
    const mixed = await store.searchRuns({ text: 'linker error' });
    expect(summary(mixed)).toEqual([
      [b, 3, 2, [2, 3]],
      [a, 2, 2, [2, 3]],
    ]);
    await catchUpIndex(dataDir);
    expect(summary(await store.searchRuns({ text: 'linker error' }))).toEqual(summary(mixed));
    expect((await store.searchRuns({ text: 'STRASSE' })).items).toEqual([]);
    expect((await store.searchRuns({ text: 'STRAßE' })).items).toHaveLength(1);
  });

  it('stays exact when the newest run is deleted after indexing and its chunk rowids are given to a new run', async () => {
    const dataDir = tempDir();
    const store = await open(dataDir);
    const kept = await newRun(store, 0, ['disk full on /var']);
    const newest = await newRun(store, 1, ['disk full on /tmp', 'disk full again']);
    await catchUpIndex(dataDir);
    await store.deleteExecution(newest);
    // SQLite gives the new chunk the deleted one's rowid: the index's mark points at it again.
    const reborn = await newRun(store, 2, ['all fine', 'DISK FULL on /home']);
    const expected = [
      [reborn, 1, 1, [2]],
      [kept, 1, 1, [1]],
    ];
    expect(summary(await store.searchRuns({ text: 'disk full' }))).toEqual(expected);
    await catchUpIndex(dataDir);
    expect(summary(await store.searchRuns({ text: 'disk full' }))).toEqual(expected);
    expect(summary(await store.searchRuns({ text: 'fine' }))).toEqual([[reborn, 1, 1, [1]]]);
  });

  it('rebuilds a deleted index file, and two indexers on one index never index a chunk twice', async () => {
    const dataDir = tempDir();
    const store = await open(dataDir);
    for (let i = 0; i < 30; i++)
      await newRun(store, i, [`job ${i} failed: exit 3`, 'retry', 'failed: exit 3']);
    const expected = summary(await store.searchRuns({ text: 'failed: exit', limit: 100 }));
    expect(expected).toHaveLength(30);
    // Two connections to the same index, taking turns one chunk at a time.
    const main = await openDatabase(dataDir);
    const first = openSearchIndex(searchIndexPath(dataDir), { create: true })!;
    const second = openSearchIndex(searchIndexPath(dataDir), { create: true })!;
    try {
      const steps = [createIndexer(first, main), createIndexer(second, main)];
      let total = 0;
      for (let turn = 0; turn < 100; turn++) total += steps[turn % 2]!({ maxChunks: 1 }).indexed;
      expect(total).toBe(30);
      expect(first.prepare('SELECT count(*) FROM indexed_chunks').pluck().get()).toBe(30);
    } finally {
      first.close();
      second.close();
      main.close();
    }
    expect(summary(await store.searchRuns({ text: 'failed: exit', limit: 100 }))).toEqual(expected);
    removeSearchIndex(searchIndexPath(dataDir));
    expect(summary(await store.searchRuns({ text: 'failed: exit', limit: 100 }))).toEqual(expected);
    expect(await catchUpIndex(dataDir)).toBe(30);
    expect(summary(await store.searchRuns({ text: 'failed: exit', limit: 100 }))).toEqual(expected);
  });

  it('stops a page at its scan bound on runs that only look like matches, and the cursor goes on', async () => {
    const dataDir = tempDir();
    const store = await open(dataDir);
    const match = await newRun(store, 0, ['the real abcdef is here']);
    // Every trigram the index looks up ("abc", "def") is there, but not the text: read, no match.
    for (let i = 1; i <= 205; i++) await newRun(store, i, ['abc then def']);
    await catchUpIndex(dataDir);
    const first = await store.searchRuns({ text: 'abcdef' });
    expect(first).toMatchObject({ items: [], scannedRuns: 200, truncated: true });
    expect(first.nextCursor).not.toBeNull();
    const second = await store.searchRuns({ text: 'abcdef', cursor: first.nextCursor as string });
    expect(second).toMatchObject({ scannedRuns: 6, truncated: false, nextCursor: null });
    expect(second.items.map((item) => item.execution.id)).toEqual([match]);
  });

  it('gives the same pages whether runs are found from the index or by walking them newest first', async () => {
    const dataDir = tempDir();
    const store = await open(dataDir);
    for (let i = 0; i < 60; i++) {
      const texts = Array.from({ length: 120 }, (_, seq) =>
        (seq * 7 + i) % 23 === 0 ? `request Timeout after ${seq} ms` : `ok ${seq} time out`,
      );
      const id = await newRun(store, i, i % 5 === 0 ? ['nothing'] : texts);
      if (i % 3 === 0) {
        const execution = await store.getExecution(id);
        await store.write({
          executions: [{ ...execution!, status: 'failed', endedAt: execution!.createdAt }],
        });
      }
    }
    // Half the runs indexed, half read directly.
    await catchUpIndex(dataDir, { maxChunks: 30 });
    const db = await openDatabase(dataDir);
    const indexFile = searchIndexPath(dataDir);
    const byLookup = createRunSearcher(db, { indexFile });
    const byWalk = createRunSearcher(db, { indexFile, groupByLookupUpTo: 0 });
    try {
      for (const query of [
        { text: 'timeout', limit: 7 },
        { text: 'TIMEOUT AFTER 1', limit: 3, linesPerRun: 5 },
        { text: 'timeout', status: ['failed' as const], limit: 4 },
        { text: 'time out', since: new Date(Date.UTC(2024, 0, 1, 0, 0, 30)).toISOString() },
        { text: 'nothing' },
        { text: 'absent text' },
      ]) {
        const pages: unknown[][] = [[], []];
        for (const [k, search] of [byLookup, byWalk].entries()) {
          let cursor: string | undefined;
          for (let n = 0; n < 50; n++) {
            const page = search({ ...query, ...(cursor ? { cursor } : {}) });
            pages[k]?.push(page);
            if (page.nextCursor === null) break;
            cursor = page.nextCursor;
          }
        }
        // The walk cannot know that no older run holds a candidate: it may end with an empty page.
        const itemsOf = (list: unknown[]) =>
          (list as RunSearchPage[]).map((page) => page.items).filter((items) => items.length > 0);
        expect(itemsOf(pages[1]!), JSON.stringify(query)).toEqual(itemsOf(pages[0]!));
        expect(pages[0]!.length).toBeGreaterThan(query.limit === undefined ? 0 : 1);
      }
    } finally {
      byLookup.close();
      byWalk.close();
      db.close();
    }
  });

  it('finds exactly the lines the log search finds, whatever the case, escapes or letters', async () => {
    const dataDir = tempDir();
    const store = await open(dataDir);
    const alphabet = [
      'a',
      'B',
      'ß',
      'İ',
      'i',
      'K',
      '\u212a',
      'σ',
      'Σ',
      'ς',
      ' ',
      '\x1b[1m',
      '\x1b[0m',
      '😀',
      '"',
      '\u0000',
    ];
    const plain = alphabet.filter((c) => !c.startsWith('\x1b'));
    const line = (chars: string[]) =>
      fc.array(fc.constantFrom(...chars), { maxLength: 12 }).map((parts) => parts.join(''));
    // Logs without any escape (their chunks are folded whole) and logs with some (line by line).
    const log = fc.oneof(
      fc.array(line(plain), { minLength: 1, maxLength: 30 }),
      fc.array(line(alphabet), { minLength: 1, maxLength: 30 }),
    );
    let minute = 0;
    await fc.assert(
      fc.asyncProperty(
        log,
        // Mostly a piece of one of the lines, in another case; sometimes random text.
        fc.record({
          line: fc.nat(),
          start: fc.nat(8),
          length: fc.integer({ min: 3, max: 6 }),
          upper: fc.boolean(),
        }),
        fc.array(fc.constantFrom(...alphabet.filter((c) => !c.startsWith('\x1b'))), {
          minLength: 3,
          maxLength: 5,
        }),
        async (texts, piece, randomParts) => {
          const id = await newRun(store, minute++, texts);
          // Every other run is found from the index, the others by reading them directly.
          if (minute % 2 === 0) await catchUpIndex(dataDir);
          const source = [
            ...(texts[piece.line % texts.length] ?? '').replaceAll('\x1b[1m', '').replaceAll('\x1b[0m', ''),
          ];
          const cut = source.slice(piece.start, piece.start + piece.length).join('');
          const candidate = piece.upper ? cut.toUpperCase() : cut;
          // A NUL in the needle is refused when no trigram is free of it (FTS5 strings end there).
          const usable = (t: string): boolean => [...t].length >= 3 && !t.includes('\u0000');
          const needle = usable(candidate) ? candidate : randomParts.join('').replaceAll('\u0000', 'a');
          const own = await store.searchLog(id, { text: needle });
          const across = await store.searchRuns({
            text: needle,
            linesPerRun: 20,
            since: new Date(Date.UTC(2024, 0, 1, 0, 0, minute - 1)).toISOString(),
          });
          const hit = across.items.find((item) => item.execution.id === id);
          expect({ total: hit?.total ?? 0, lineTotal: hit?.lineTotal ?? 0 }).toEqual({
            total: own.total,
            lineTotal: own.lineTotal,
          });
          expect(hit?.lines.map((l) => l.seq) ?? []).toEqual(own.matches.slice(0, 20).map((m) => m.seq));
        },
      ),
      { numRuns: 150 },
    );
  });
});
