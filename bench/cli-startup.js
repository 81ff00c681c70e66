// CLI start-up: wall time of whole commands as a user types them, next to the floor `node -e 1`
// measured in the same run (interleaved, so machine noise hits both alike). Issue 13, target 3.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median } from './machine.js';

const ROUNDS = Number(process.env.BENCH_CLI_ROUNDS ?? 9);
const bin = new URL('../bin/stepflow.js', import.meta.url).pathname;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-bench-cli-'));
const env = { ...process.env, STEPFLOW_STORAGE_PATH: dataDir };

try {
  // A history to list: 50 short runs.
  for (let i = 0; i < 50; i++)
    execFileSync(process.execPath, [bin, 'run', '--', 'echo', `run ${i}`], { env, stdio: 'ignore' });
  const id = JSON.parse(execFileSync(process.execPath, [bin, 'ls', '--json'], { env, encoding: 'utf8' }))
    .items[0].id;

  const commands = {
    floor: ['-e', '1'],
    version: [bin, '--version'],
    ls: [bin, 'ls'],
    show: [bin, 'show', id],
    runTrue: [bin, 'run', '--', 'true'],
  };
  const times = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, args] of Object.entries(commands)) {
      const start = process.hrtime.bigint();
      const result = spawnSync(process.execPath, args, { env, cwd: dataDir, stdio: 'ignore' });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (result.status !== 0) throw new Error(`${name} exited with ${result.status}`);
      times[name].push(ms);
    }
  }
  const ms = Object.fromEntries(
    Object.entries(times).map(([name, values]) => [name, Math.round(median(values))]),
  );
  // Each command's ratio to the floor, round by round (the rounds share the machine's noise), median.
  const ratio = (name) => Number(median(times[name].map((t, round) => t / times.floor[round])).toFixed(2));
  console.log(
    JSON.stringify({
      floorMs: ms.floor,
      versionMs: ms.version,
      versionRatio: ratio('version'),
      lsMs: ms.ls,
      lsRatio: ratio('ls'),
      showMs: ms.show,
      showRatio: ratio('show'),
      runTrueMs: ms.runTrue,
      runTrueRatio: ratio('runTrue'),
    }),
  );
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
