// (b) 500 executions at once, each printing 2,000 lines at a steady pace: peak RSS and CPU of this
// (the StepFlow) process while they run. Prints one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStepflow } from '../dist/stepflow.js';
import { loadConfig } from '../dist/config.js';

const EXECUTIONS = Number(process.env.BENCH_EXECUTIONS ?? 500);
const LINES = Number(process.env.BENCH_LINES_EACH ?? 2000);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-bench-'));
// 20 lines every 200 ms: 2,000 lines in about 20 s per execution.
const script = `
import sys, time
for start in range(0, ${LINES}, 20):
    sys.stdout.write(''.join('exec line %05d of a steady producer, padded to about eighty bytes....\\n' % i for i in range(start, start + 20)))
    sys.stdout.flush()
    time.sleep(0.2)
`;

const app = await createStepflow({ ...loadConfig({}, dataDir), dataDir, maxConcurrent: EXECUTIONS });
let peakRss = process.memoryUsage().rss;
let peakRunningRss = 0;
const sampler = setInterval(() => {
  const rss = process.memoryUsage().rss;
  peakRss = Math.max(peakRss, rss);
  if (app.engine.active().length === EXECUTIONS) peakRunningRss = Math.max(peakRunningRss, rss);
}, 100);
const cpuStart = process.cpuUsage();
const t0 = performance.now();
const submitted = [];
for (let i = 0; i < EXECUTIONS; i++) {
  submitted.push(
    await app.engine.submit({ argv: ['python3', '-c', script], cwd: dataDir, name: `steady-${i}` }),
  );
}
const finals = await Promise.all(submitted.map((s) => s.done));
await app.writer.flush();
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpuStart);
clearInterval(sampler);
let lines = 0;
for (const f of finals) lines += (await app.store.getExecution(f.id))?.lineCount ?? 0;
await app.close();
fs.rmSync(dataDir, { recursive: true, force: true });
console.log(
  JSON.stringify({
    executions: EXECUTIONS,
    succeeded: finals.filter((f) => f.status === 'succeeded').length,
    linesStored: lines,
    linesExpected: EXECUTIONS * LINES,
    wallSeconds: wall,
    peakRssMB: Math.round(peakRss / 2 ** 20),
    peakRssWhileAllRunningMB: Math.round(peakRunningRss / 2 ** 20),
    cpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1000 / (wall * 1000)) * 100),
  }),
);
