import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const BIN = path.join(ROOT, 'bin/stepflow.js');
const LOG_IMPORTS = path.join(ROOT, 'test/fixtures/cli/log-imports.js');

/** The modules a CLI command loads (file URLs), from a run with a resolve hook that names each. */
function modulesLoaded(args: string[], dataDir: string): string[] {
  const result = spawnSync(process.execPath, ['--import', LOG_IMPORTS, BIN, ...args], {
    cwd: dataDir,
    env: { ...process.env, STEPFLOW_SERVER: '', STEPFLOW_STORAGE_PATH: dataDir },
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  const loaded = result.stderr
    .split('\n')
    .filter((line) => line.startsWith('loaded '))
    .map((line) => line.slice('loaded '.length));
  // Each import of a module is resolved again; a module counts once.
  return [...new Set(loaded)];
}

// Start-up is most of what a short command costs (docs/PERFORMANCE.md, "CLI start-up"): each
// command loads only what it uses. These would each add 100–300 ms to every `ls`.
const HEAVY = [
  /\/dist\/server\//,
  /\/node_modules\/fastify\//,
  /\/node_modules\/@sinclair\/typebox\//,
  /\/node_modules\/pg\//,
];

// Loaded by the few commands that use them, when they do: a pipeline parse, an upload, a backup,
// a terminal to redraw on (the tests' stdio is piped), a run's first artifact.
const ON_DEMAND = /\/node_modules\/(yaml|tar|yauzl|log-update|mime-db|tinyglobby)\//;
// What a read of the history never builds (`stepflow-reads.ts`).
const MACHINERY = /\/dist\/(engine|scheduler|notify)\//;
// What `stepflow run` never starts or uses (`stepflow-run.ts`): the jobs' machinery, the rest of
// the application and the stores it does not read.
const NOT_RUN =
  /\/dist\/(scheduler|notify)\/|\/dist\/app\/(application|jobs|pipelines|projects)|\/dist\/store\/sqlite\/sqlite-(job|user|audit|project|saved-pipeline|pipeline-run)-store/;

describe('CLI start-up', () => {
  const tempDir = useTempDirs();

  it('--version loads neither the database, the engine nor the server', () => {
    const loaded = modulesLoaded(['--version'], tempDir());
    expect(loaded.filter((url) => /\/dist\/(store|engine|server|app)\/|better-sqlite3/.test(url))).toEqual(
      [],
    );
    expect(loaded.length).toBeLessThan(40);
  });

  it('run, ls and show load no YAML, archive or drawing code; ls and show build no engine or scheduler', () => {
    const dataDir = tempDir();
    const matching = (args: string[], pattern: RegExp): string[] =>
      modulesLoaded(args, dataDir).filter((url) => pattern.test(url));
    expect(matching(['run', '--', 'true'], ON_DEMAND)).toEqual([]);
    expect(matching(['ls'], ON_DEMAND)).toEqual([]);
    expect(matching(['ls'], MACHINERY)).toEqual([]);
    const list = spawnSync(process.execPath, [BIN, 'ls', '--json'], {
      cwd: dataDir,
      env: { ...process.env, STEPFLOW_SERVER: '', STEPFLOW_STORAGE_PATH: dataDir },
      encoding: 'utf8',
    });
    const [run] = (JSON.parse(list.stdout) as { items: { id: string }[] }).items;
    expect(matching(['show', run!.id], ON_DEMAND)).toEqual([]);
    expect(matching(['show', run!.id], MACHINERY)).toEqual([]);
  });

  it('run builds no scheduler, notifier or whole application, and opens only the stores it uses', () => {
    const loaded = modulesLoaded(['run', '--', 'true'], tempDir());
    // It does run: the engine is there.
    expect(loaded.some((url) => url.endsWith('/dist/engine/engine.js'))).toBe(true);
    expect(loaded.filter((url) => NOT_RUN.test(url))).toEqual([]);
  });

  it('run, ls and show load no server code, Fastify, the API schemas or the PostgreSQL driver', () => {
    const dataDir = tempDir();
    const heavy = (args: string[]): string[] =>
      modulesLoaded(args, dataDir).filter((url) => HEAVY.some((pattern) => pattern.test(url)));
    expect(heavy(['run', '--', 'true'])).toEqual([]);
    expect(heavy(['ls'])).toEqual([]);
    const list = spawnSync(process.execPath, [BIN, 'ls', '--json'], {
      cwd: dataDir,
      env: { ...process.env, STEPFLOW_SERVER: '', STEPFLOW_STORAGE_PATH: dataDir },
      encoding: 'utf8',
    });
    const [run] = (JSON.parse(list.stdout) as { items: { id: string }[] }).items;
    expect(heavy(['show', run!.id])).toEqual([]);
  });
});
