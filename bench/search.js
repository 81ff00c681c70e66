// (e) Search across runs on 10,000,000 stored lines: builds a data dir of many runs of realistic log
// text through the store's own writer, times the background indexer (the server's worker thread)
// indexing it all, then times `searchRuns` (a page of 20 runs, 3 lines each) for a rare term, a
// common term and no match, medians of several queries, beside the floor: the bare FTS5 lookup on
// the index file; and the same searches with no index at all (every chunk read directly).
// Prints one JSON object. BENCH_SEARCH_LINES to change the size.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../dist/store/sqlite/sqlite-store.js';
import { trigramQuery } from '../dist/store/sqlite/run-search.js';
import { startSearchIndexer } from '../dist/store/sqlite/start-search-indexer.js';
import { median } from './machine.js';

const LINES = Number(process.env.BENCH_SEARCH_LINES ?? 10_000_000);
const LINES_PER_RUN = 5_000;
const RUNS = Math.ceil(LINES / LINES_PER_RUN);
const REPEAT = 7;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-bench-search-'));

// A small seeded generator: the same data every run.
let seed = 42;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
const pick = (list) => list[Math.floor(random() * list.length)];
const hex = (n) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('');
const LEVELS = ['INFO', 'INFO', 'INFO', 'DEBUG', 'DEBUG', 'WARN', 'ERROR'];
const COMPONENTS = ['http', 'db.pool', 'scheduler', 'auth', 'cache', 'worker', 'upload', 'metrics'];
const MESSAGES = [
  () => `GET /api/v1/orders/${Math.floor(random() * 1e6)} 200 ${Math.floor(random() * 900)}ms`,
  () => `connection established to db-${Math.floor(random() * 8)}.internal:5432`,
  () =>
    `processed batch ${Math.floor(random() * 1e5)} (${Math.floor(random() * 5000)} records) in ${(random() * 3).toFixed(2)}s`,
  () => `cache miss for key user:${hex(8)}`,
  () => `compiling src/modules/${pick(COMPONENTS)}/${hex(4)}.ts`,
  () => `retrying request after timeout (attempt ${1 + Math.floor(random() * 3)}/3)`,
  () => `uploaded artifact build-${hex(12)}.tar.gz (${Math.floor(random() * 900)} MB)`,
  () =>
    `  at Object.<anonymous> (/srv/app/node_modules/${pick(COMPONENTS)}/index.js:${Math.floor(random() * 900)}:13)`,
  () => `test ${pick(COMPONENTS)} › handles ${pick(['empty', 'large', 'unicode', 'concurrent'])} input ✓`,
];
const RARE = 'E_DEADLOCK_7f3a9c';
// A pool of distinct lines, read at a different stride per run, so generating them costs little.
const POOL = Array.from(
  { length: 65_536 },
  (_, i) =>
    `2025-03-${String(1 + (i % 28)).padStart(2, '0')}T12:${String(i % 60).padStart(2, '0')}:${String(i % 59).padStart(2, '0')}Z ${pick(LEVELS)} [${pick(COMPONENTS)}] ${pick(MESSAGES)()}`,
);
const logLine = (seq, runIndex) => {
  const line = POOL[(runIndex * 7919 + seq * (1 + (runIndex % 13))) % POOL.length];
  // The rare term: one line in one run out of 400.
  return runIndex % 400 === 7 && seq === 2500 ? `${line} ${RARE} while locking orders` : line;
};

const store = await openSqliteStore({ dataDir });
const writeStarted = performance.now();
for (let r = 0; r < RUNS; r++) {
  const created = await store.createExecution({
    spec: { command: `./job-${r % 50}.sh`, cwd: '/srv' },
    status: 'running',
    createdAt: new Date(Date.UTC(2025, 0, 1) + r * 60_000).toISOString(),
  });
  // Written 1,000 lines per commit. Half the runs have long chunks (1,000 lines), half short ones
  // (stdout and stderr taking turns every 50 lines, as a chatty build does).
  const turn = r % 2 === 0 ? Infinity : 50;
  let lines = [];
  for (let seq = 1; seq <= LINES_PER_RUN; seq++) {
    const stream = Math.floor(seq / turn) % 2 === 0 ? 'stdout' : 'stderr';
    lines.push({ seq, ts: 1_740_000_000_000 + seq, stream, stepId: null, text: logLine(seq, r), flags: 0 });
    if (lines.length === 1000) {
      await store.write({ lines: [{ executionId: created.id, lines }] });
      lines = [];
    }
  }
  await store.write({
    executions: [{ ...created, status: r % 10 === 0 ? 'failed' : 'succeeded', endedAt: created.createdAt }],
  });
}
const writeSeconds = (performance.now() - writeStarted) / 1000;

// The server's indexer, from nothing to every chunk: time to catch up.
const indexFile = path.join(dataDir, 'search-index.sqlite');
const indexStarted = performance.now();
const indexer = startSearchIndexer({ mainFile: path.join(dataDir, 'stepflow.db'), indexFile, idleMs: 100 });
for (;;) {
  await new Promise((r) => setTimeout(r, 100));
  const lag = indexer.lag();
  if (lag !== undefined && lag.chunks === 0) break;
}
const indexSeconds = (performance.now() - indexStarted) / 1000 - 0.05;
await indexer.close();

const time = async (fn, repeat = REPEAT) => {
  const samples = [];
  let result;
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    result = await fn();
    samples.push(performance.now() - started);
  }
  return { ms: Math.round(median(samples) * 10) / 10, result };
};

const queries = { rare: RARE, common: 'timeout', none: 'zebra quartz' };
const figures = {};
for (const [name, text] of Object.entries(queries)) {
  const { ms, result } = await time(() => store.searchRuns({ text }));
  figures[name] = {
    text,
    ms,
    runs: result.items.length,
    scannedRuns: result.scannedRuns,
    linesInFirstRun: result.items[0]?.lineTotal ?? 0,
  };
}
// Without the index (a data dir no server ever indexed): every chunk read directly.
fs.renameSync(indexFile, `${indexFile}.away`);
for (const [name, text] of Object.entries(queries)) {
  figures[name].noIndexMs = (await time(() => store.searchRuns({ text }), 3)).ms;
}
fs.renameSync(`${indexFile}.away`, indexFile);
await store.close();

// The floor: the index lookup alone (every candidate chunk's rowid), on the index file.
const index = new Database(indexFile, { readonly: true });
for (const [name, text] of Object.entries(queries)) {
  const lookup = index.prepare('SELECT rowid FROM chunk_trigrams WHERE chunk_trigrams MATCH ?').pluck();
  const match = trigramQuery(text.toLowerCase());
  const { ms, result } = await time(() => lookup.all(match).length);
  figures[name].floorMs = ms;
  figures[name].candidateChunks = result;
}
index.close();
const db = new Database(path.join(dataDir, 'stepflow.db'), { readonly: true });
const chunks = db.prepare('SELECT count(*) FROM log_chunks').pluck().get();
db.close();
const dbMB = Math.round(fs.statSync(path.join(dataDir, 'stepflow.db')).size / 2 ** 20);
const indexMB = Math.round(fs.statSync(indexFile).size / 2 ** 20);
if (!process.env.BENCH_KEEP) fs.rmSync(dataDir, { recursive: true, force: true });
else console.error(dataDir);

console.log(
  JSON.stringify({
    lines: RUNS * LINES_PER_RUN,
    runs: RUNS,
    chunks,
    writeSeconds: Math.round(writeSeconds),
    linesPerSecondWritten: Math.round((RUNS * LINES_PER_RUN) / writeSeconds),
    dbMB,
    indexMB,
    indexSeconds: Math.round(indexSeconds * 10) / 10,
    ...Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, v])),
  }),
);
