import * as path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { useTempDirs } from '../../../test/helpers/temp-dir.js';
import type { LogLine } from '../../core/model.js';
import { MIGRATIONS } from './migrations.js';
import { DATABASE_FILE, openDatabase } from './open-database.js';
import { createRunSearcher } from './run-search.js';
import { openSqliteStore, type SqliteStore } from './sqlite-store.js';
import type { RunSearchPage } from '../store.js';

const tempDir = useTempDirs();

describe('search across runs (SQLite trigram index)', () => {
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

  it('indexes the logs stored before the index existed when the database is upgraded', async () => {
    const dataDir = tempDir();
    const indexStep = MIGRATIONS.findIndex((sql) => sql.includes('CREATE VIRTUAL TABLE log_search'));
    expect(indexStep).toBeGreaterThan(0);
    // A database as the version before the index left it, with a log in it.
    const db = new Database(path.join(dataDir, DATABASE_FILE));
    for (const sql of MIGRATIONS.slice(0, indexStep)) db.exec(sql);
    db.pragma(`user_version = ${indexStep}`);
    db.prepare(
      `INSERT INTO executions (id, name, command, cwd, tags, status, created_at, created_ms, meta, line_count, run_spec)
       VALUES ('01old', 'old run', 'make', '/', '{}', 'succeeded', '2024-01-01T00:00:00.000Z', 1704067200000, '{}', 3, '{"command":"make","cwd":"/"}')`,
    ).run();
    const insertChunk = db.prepare(
      `INSERT INTO log_chunks (execution_id, seq_start, seq_end, ts_start, stream, text) VALUES ('01old', ?, ?, 0, 'stdout', ?)`,
    );
    insertChunk.run(1, 2, 'compiling\nLinker \x1b[1mERR\x1b[0mOR: undefined');
    insertChunk.run(3, 3, 'Straße gesperrt');
    db.close();

    const store = await open(dataDir);
    const page = await store.searchRuns({ text: 'linker error' });
    expect(
      page.items.map((item) => [item.execution.name, item.lineTotal, item.lines.map((l) => l.seq)]),
    ).toEqual([['old run', 1, [2]]]);
    expect((await store.searchRuns({ text: 'STRASSE' })).items).toEqual([]);
    expect((await store.searchRuns({ text: 'STRAßE' })).items).toHaveLength(1);
  });

  it('stops a page at its scan bound on runs that only look like matches, and the cursor goes on', async () => {
    const store = await open();
    const match = await newRun(store, 0, ['the real abcdef is here']);
    // Every trigram the index looks up ("abc", "def") is there, but not the text: read, no match.
    for (let i = 1; i <= 205; i++) await newRun(store, i, ['abc then def']);
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
    const db = await openDatabase(dataDir);
    try {
      const byLookup = createRunSearcher(db);
      const byWalk = createRunSearcher(db, { groupByLookupUpTo: 0 });
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
      db.close();
    }
  });

  it('finds exactly the lines the log search finds, whatever the case, escapes or letters', async () => {
    const store = await open();
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
