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
  return result.stderr
    .split('\n')
    .filter((line) => line.startsWith('loaded '))
    .map((line) => line.slice('loaded '.length));
}

// Start-up is most of what a short command costs (docs/PERFORMANCE.md, "CLI start-up"): each
// command loads only what it uses. These would each add 100–300 ms to every `ls`.
const HEAVY = [
  /\/dist\/server\//,
  /\/node_modules\/fastify\//,
  /\/node_modules\/@sinclair\/typebox\//,
  /\/node_modules\/pg\//,
];

describe('CLI start-up', () => {
  const tempDir = useTempDirs();

  it('--version loads neither the database, the engine nor the server', () => {
    const loaded = modulesLoaded(['--version'], tempDir());
    expect(loaded.filter((url) => /\/dist\/(store|engine|server|app)\/|better-sqlite3/.test(url))).toEqual(
      [],
    );
    expect(loaded.length).toBeLessThan(40);
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
