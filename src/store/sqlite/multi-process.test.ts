import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from './sqlite-store.js';

// Real processes racing on one new data dir: the case in-process tests cannot reach (migrations
// under BEGIN IMMEDIATE, the switch to WAL, busy_timeout between writers).

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
let workDir: string;

/** Transpiles the store and core (all their folders) to plain ESM so child processes can import them without a loader. */
function buildStoreForChildren(outDir: string): void {
  const files = ['src/core', 'src/store'].flatMap((dir) =>
    fs
      .readdirSync(path.join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
      .map((f) => path.join(dir, f)),
  );
  for (const file of files) {
    const name = path.basename(file);
    const dir = path.dirname(file);
    if (!name.endsWith('.ts') || name.endsWith('.test.ts') || name === 'store-contract.ts') continue;
    fs.mkdirSync(path.join(outDir, dir), { recursive: true });
    const source = fs.readFileSync(path.join(repoRoot, file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
      fileName: name,
    });
    fs.writeFileSync(path.join(outDir, dir, name.replace(/\.ts$/, '.js')), outputText);
  }
  fs.writeFileSync(path.join(outDir, 'package.json'), '{"type":"module"}');
  fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(outDir, 'node_modules'), 'dir');
  // Waits for "go" on stdin so every child opens the new data dir at the same moment.
  fs.writeFileSync(
    path.join(outDir, 'child.js'),
    `import { openSqliteStore } from './src/store/sqlite/sqlite-store.js';
const [dataDir, name] = process.argv.slice(2);
process.stdin.once('data', async () => {
  const store = await openSqliteStore({ dataDir });
  const e = await store.createExecution({ spec: { name, command: name, cwd: '/' }, status: 'running' });
  for (let batch = 0; batch < 5; batch++) {
    const lines = Array.from({ length: 2000 }, (_, i) => ({
      seq: batch * 2000 + i + 1, ts: Date.now(), stream: 'stdout', stepId: null, text: name + ' ' + (batch * 2000 + i + 1), flags: 0,
    }));
    await store.write({ lines: [{ executionId: e.id, lines }] });
  }
  await store.close();
  process.stdout.write(JSON.stringify({ id: e.id }) + '\\n');
  process.stdin.destroy();
});
process.stdout.write('ready\\n');
`,
  );
}

interface Child {
  ready: Promise<void>;
  done: Promise<string>;
  go(): void;
}

function startChild(dataDir: string, name: string): Child {
  const child = spawn(process.execPath, [path.join(workDir, 'child.js'), dataDir, name], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.setEncoding('utf8').on('data', (data: string) => {
    stdout += data;
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data));
  const done = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const result = stdout.split('\n').find((line) => line.startsWith('{'));
      if (code === 0 && result) resolve((JSON.parse(result) as { id: string }).id);
      else reject(new Error(`child ${name} exited with ${code}: ${stderr}`));
    });
  });
  return { ready, done, go: () => child.stdin.write('go\n') };
}

describe('SqliteStore shared by several processes', () => {
  beforeAll(() => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-sqlite-multiprocess-'));
    buildStoreForChildren(workDir);
  });
  afterAll(() => {
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('lets processes open a new data dir at the same moment and each write its own execution', async () => {
    const dataDir = path.join(workDir, 'data');
    const names = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
    const children = names.map((name) => startChild(dataDir, name));
    await Promise.all(children.map((child) => child.ready));
    for (const child of children) child.go();
    const ids = await Promise.all(children.map((child) => child.done));

    const store = await openSqliteStore({ dataDir });
    try {
      expect((await store.listExecutions()).items.map((e) => e.name).sort()).toEqual([...names].sort());
      for (const [index, id] of ids.entries()) {
        const page = await store.readLog(id, { after: 9990 });
        expect(page.lines.map((l) => l.text)).toEqual(
          Array.from({ length: 10 }, (_, i) => `${names[index]} ${9991 + i}`),
        );
        expect((await store.readLog(id, { after: 0, limit: 10_000 })).hasMore).toBe(false);
      }
    } finally {
      await store.close();
    }
  });
});
