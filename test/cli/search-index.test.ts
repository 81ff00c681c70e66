import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunSearchPageBody } from '../../src/protocol/run-search-schemas.js';
import { ROOT, runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const tempDir = useTempDirs();
const INDEXER = path.join(ROOT, 'test/fixtures/search/run-indexer.mjs');

/** A process running the server's background indexer (the built one) on a data dir. */
interface IndexerProcess {
  child: ChildProcess;
  stderr: () => string;
  stop: () => Promise<void>;
}
const indexers: IndexerProcess[] = [];
afterEach(async () => {
  for (const i of indexers.splice(0)) await i.stop();
});

async function startIndexer(dataDir: string): Promise<IndexerProcess> {
  const child = spawn(process.execPath, [INDEXER, dataDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (stdout.includes('started')) resolve();
    });
    child.on('close', () => reject(new Error(`indexer ended: ${stderr}`)));
  });
  const indexer = {
    child,
    stderr: () => stderr,
    stop: async () => {
      child.stdin!.end();
      await exited;
    },
  };
  indexers.push(indexer);
  return indexer;
}

/** Chunks in the log and in the index (its rows, and its mark's chunk). */
function counts(dataDir: string): { chunks: number; indexed: number; distinct: number } {
  const main = new Database(path.join(dataDir, 'stepflow.db'), { readonly: true });
  try {
    const chunks = main.prepare('SELECT count(*) FROM log_chunks').pluck().get() as number;
    const file = path.join(dataDir, 'search-index.sqlite');
    if (!fs.existsSync(file)) return { chunks, indexed: 0, distinct: 0 };
    const index = new Database(file, { readonly: true, timeout: 5000 });
    try {
      const indexed = index.prepare('SELECT count(*) FROM indexed_chunks').pluck().get() as number;
      const distinct = index.prepare('SELECT count(DISTINCT id) FROM indexed_chunks').pluck().get() as number;
      return { chunks, indexed, distinct };
    } finally {
      index.close();
    }
  } catch (error) {
    // Created but its schema not written yet (the indexer is opening it): nothing indexed.
    if (String(error).includes('no such table')) return { chunks: 0, indexed: -1, distinct: -1 };
    throw error;
  } finally {
    main.close();
  }
}

async function caughtUp(dataDir: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = counts(dataDir);
    if (c.chunks > 0 && c.indexed === c.chunks) return;
    if (Date.now() > deadline) throw new Error(`index not caught up: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function search(dataDir: string, text: string): Promise<[string, number, number][]> {
  const result = await runCli(['search', text, '--json', '--limit', '100'], { dataDir });
  expect(result.code, result.stderr).toBe(0);
  const page = JSON.parse(result.stdout) as RunSearchPageBody;
  return page.items.map((i) => [i.execution.name, i.total, i.lineTotal]);
}

/** A run printing `lines` lines, every 97th one holding "Disk Quota exceeded" (several chunks). */
async function run(dataDir: string, name: string, lines: number): Promise<void> {
  const script = `for i in $(seq 1 ${lines}); do if [ $((i % 97)) -eq 0 ]; then echo "$i: Disk Quota exceeded"; else echo "$i ok"; fi; done`;
  const result = await runCli(['run', '--name', name, '--', script], { dataDir });
  expect(result.code, result.stderr).toBe(0);
}

describe('the search index file, kept by background indexers', () => {
  it('gives the same exact counts before indexing, after two indexer processes caught up, and after the file was deleted and rebuilt', async () => {
    const dataDir = tempDir();
    await run(dataDir, 'first', 3000);
    await run(dataDir, 'second', 1000);
    const expected: [string, number, number][] = [
      ['second', 10, 10],
      ['first', 30, 30],
    ];
    // No indexer ever ran: every chunk is read directly.
    expect(fs.existsSync(path.join(dataDir, 'search-index.sqlite'))).toBe(false);
    expect(await search(dataDir, 'disk quota')).toEqual(expected);

    const [a, b] = [await startIndexer(dataDir), await startIndexer(dataDir)];
    await caughtUp(dataDir);
    expect(await search(dataDir, 'DISK QUOTA')).toEqual(expected);

    // Lines written a moment ago: found at once (read directly), then from the index.
    await run(dataDir, 'third', 2000);
    const withThird: [string, number, number][] = [['third', 20, 20], ...expected];
    expect(await search(dataDir, 'disk quota')).toEqual(withThird);
    await caughtUp(dataDir);
    expect(await search(dataDir, 'disk quota')).toEqual(withThird);
    let c = counts(dataDir);
    expect(c.indexed).toBe(c.distinct);

    // Deleted under the running indexers: searches stay exact, and the index is rebuilt.
    fs.rmSync(path.join(dataDir, 'search-index.sqlite'));
    expect(await search(dataDir, 'disk quota')).toEqual(withThird);
    await caughtUp(dataDir);
    expect(await search(dataDir, 'disk quota')).toEqual(withThird);
    c = counts(dataDir);
    expect(c.indexed).toBe(c.distinct);

    // A deleted run is never found, and its rows leave the index.
    // (No CLI command deletes a run: as the API's DELETE does, with the cascade to its log.)
    const db = new Database(path.join(dataDir, 'stepflow.db'), { timeout: 5000 });
    db.pragma('foreign_keys = ON');
    db.prepare("DELETE FROM executions WHERE name = 'first'").run();
    db.close();
    expect(await search(dataDir, 'disk quota')).toEqual(withThird.filter(([name]) => name !== 'first'));
    await caughtUp(dataDir);
    await a.stop();
    await b.stop();
    expect(a.stderr() + b.stderr()).toBe('');
  }, 120_000);
});
