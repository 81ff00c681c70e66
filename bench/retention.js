// (g) The retention sweep over 10,000 ended runs while one execution ingests as fast as it can (the
// throughput scenario's producer): ingest lines/s with the sweep running beside the same ingest
// without it, and the bytes the sweep freed beside the log bytes those runs held.
// BENCH_RETENTION_SWEEP=0: the same data dir and ingest, no sweep (the reference). Prints one JSON
// object. BENCH_RETENTION_RUNS, BENCH_LINES to change the sizes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createStepflow } from '../dist/stepflow.js';
import { loadConfig } from '../dist/config.js';
import { createRetention } from '../dist/app/retention.js';

const RUNS = Number(process.env.BENCH_RETENTION_RUNS ?? 10_000);
const LINES_PER_RUN = 100;
const LINES = Number(process.env.BENCH_LINES ?? 8_000_000);
const sweeping = process.env.BENCH_RETENTION_SWEEP !== '0';
const DAY = 86_400_000;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-bench-retention-'));

// Half the runs ended 40 days ago (deleted: days 30), half 10 days ago (log dropped: logDays 7).
const config = { ...loadConfig({}, dataDir), dataDir, retention: { days: 30, logDays: 7 } };
const app = await createStepflow(config, { searchIndexer: false });
const now = Date.now();
const populateStarted = performance.now();
for (let first = 0; first < RUNS; first += 200) {
  const runs = [];
  for (let r = first; r < Math.min(RUNS, first + 200); r++) {
    runs.push({
      r,
      created: await app.store.createExecution({
        spec: { command: `./job-${r % 50}.sh`, cwd: dataDir, name: `job-${r % 50}` },
        status: 'running',
        createdAt: new Date(now - 50 * DAY + r * 1000).toISOString(),
      }),
    });
  }
  await app.store.write({
    lines: runs.map(({ r, created }) => ({
      executionId: created.id,
      lines: Array.from({ length: LINES_PER_RUN }, (_, i) => ({
        seq: i + 1,
        ts: now - 50 * DAY,
        stream: 'stdout',
        stepId: null,
        text: `run ${String(r).padStart(5, '0')} line ${String(i).padStart(4, '0')} ${'x'.repeat(60)}`,
        flags: 0,
      })),
    })),
  });
  await app.store.write({
    executions: runs.map(({ r, created }) => ({
      ...created,
      status: 'succeeded',
      exitCode: 0,
      lineCount: LINES_PER_RUN,
      endedAt: new Date(now - (r % 2 === 0 ? 40 : 10) * DAY).toISOString(),
    })),
  });
}
const populateSeconds = (performance.now() - populateStarted) / 1000;
// The log bytes the old runs hold, read from the file (what "freed" should say).
const main = new Database(path.join(dataDir, 'stepflow.db'));
const expectedBytes = main.prepare('SELECT sum(length(CAST(text AS BLOB))) FROM log_chunks').pluck().get();
// Folded into the database file before the ingest starts, so neither run starts with a long WAL.
main.pragma('wal_checkpoint(TRUNCATE)');
main.close();

const generator = `
import sys
out = sys.stdout.buffer
block = b''.join(b'line %08d ' % i + b'x' * 64 + b'\\n' for i in range(10000))
for _ in range(${LINES} // 10000):
    out.write(block)
`;
// Rates of committed lines: handed over by the reader, less those the writer still holds.
const SWEEP_AFTER_MS = 1000;
const committed = () => linesSeen - app.writer.health().heldLines;
let firstByteAt = 0;
let linesSeen = 0;
let ingestCommittedAt = Infinity;
let steady;
let sweep;
let sweepWindow;
let reclaimSeconds = 0;
app.bus.subscribe((event) => {
  if (event.type !== 'log.lines') return;
  linesSeen += event.lines.length;
  const at = performance.now();
  if (firstByteAt === 0) firstByteAt = at;
  if (steady !== undefined || at - firstByteAt < SWEEP_AFTER_MS) return;
  // Past the start-up: the steady rate is measured from here (to the end, or to the sweep's end).
  steady = { at, lines: committed() };
  if (!sweeping) return;
  // In the same process, as a server's background sweep runs beside its ingest.
  const reclaim = app.maintenance.reclaim.bind(app.maintenance);
  app.maintenance.reclaim = async () => {
    const started = performance.now();
    const outcome = await reclaim();
    reclaimSeconds = (performance.now() - started) / 1000;
    return outcome;
  };
  // BENCH_REST_FACTOR: another rest between pages than the server's (to compare); unset: the server's.
  const retention =
    process.env.BENCH_REST_FACTOR === undefined
      ? app.app.retention
      : createRetention({
          store: app.store,
          maintenance: app.maintenance,
          dataDir,
          policy: config.retention,
          restFactor: Number(process.env.BENCH_REST_FACTOR),
        });
  sweep = retention.sweep().then((report) => {
    const endedAt = performance.now();
    const end = Math.min(endedAt, ingestCommittedAt);
    const lines = (endedAt < ingestCommittedAt ? committed() : LINES) - steady.lines;
    sweepWindow = {
      endedAt,
      linesAtEnd: committed(),
      seconds: (endedAt - steady.at) / 1000,
      linesPerSecond: lines / ((end - steady.at) / 1000),
      endedBeforeIngest: endedAt < ingestCommittedAt,
    };
    return report;
  });
});
const { done } = await app.engine.submit({
  argv: ['python3', '-c', generator],
  cwd: dataDir,
  name: 'ingest',
});
const final = await done;
await app.writer.flush();
const committedAt = performance.now();
ingestCommittedAt = committedAt;
const report = sweeping ? await sweep : undefined;
const steadyRate = (LINES - steady.lines) / ((committedAt - steady.at) / 1000);
const stored = (await app.store.getExecution(final.id))?.lineCount ?? 0;
await app.close();
fs.rmSync(dataDir, { recursive: true, force: true });
const seconds = (committedAt - firstByteAt) / 1000;
console.log(
  JSON.stringify({
    sweeping,
    status: final.status,
    lines: stored,
    seconds: Math.round(seconds * 100) / 100,
    linesPerSecond: Math.round(LINES / seconds),
    // Committed from 1 s after the first line to the last commit: the reference without a sweep.
    steadyLinesPerSecond: Math.round(steadyRate),
    populateSeconds: Math.round(populateSeconds),
    expectedBytes,
    ...(report
      ? {
          sweepSeconds: Math.round(sweepWindow.seconds * 100) / 100,
          // Of which giving the space back to the file system (incremental_vacuum steps).
          reclaimSeconds: Math.round(reclaimSeconds * 100) / 100,
          linesPerSecondDuringSweep: Math.round(sweepWindow.linesPerSecond),
          sweepEndedBeforeIngest: sweepWindow.endedBeforeIngest,
          // The same ingest once the sweep was over: a reference from the same run.
          linesPerSecondAfterSweep: sweepWindow.endedBeforeIngest
            ? Math.round((LINES - sweepWindow.linesAtEnd) / ((committedAt - sweepWindow.endedAt) / 1000))
            : null,
          runsDeleted: report.runsDeleted,
          logsDropped: report.logsDropped,
          freedBytes: report.freedBytes.total,
          dbMB: report.database
            ? `${Math.round(report.database.dbBytesBefore / 2 ** 20)} → ${Math.round(report.database.dbBytesAfter / 2 ** 20)}`
            : null,
        }
      : {}),
  }),
);
