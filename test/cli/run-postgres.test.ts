import { describe, expect, it } from 'vitest';
import type { ExecutionDetailBody } from '../../src/protocol/api-schemas.js';
import { usePostgres } from '../helpers/postgres.js';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';

const postgres = usePostgres();
const tempDir = useTempDirs();

// `stepflow run` opens only what it uses (src/stepflow-run.ts); on PostgreSQL that is the whole
// backend on one pool. The run must land there as from the full composition.
describe('stepflow run on PostgreSQL (--database-url)', () => {
  it('records the run, its steps and log in the database, where another process reads them', async () => {
    const url = await postgres().createDatabase();
    const run = await runCli(
      [
        'run',
        '--database-url',
        url,
        '--',
        "echo '::group::build'; echo compiled; echo '::endgroup::'; exit 3",
      ],
      { dataDir: tempDir() },
    );
    expect(run.code).toBe(3);
    const id = /stepflow show (\S+)/.exec(run.stdout)?.[1];
    expect(id, run.stdout + run.stderr).toBeDefined();

    // Another data dir, the same database: what it reads came from the database.
    const show = await runCli(['show', id!, '--json', '--database-url', url], { dataDir: tempDir() });
    expect(show.code, show.stderr).toBe(0);
    const detail = JSON.parse(show.stdout) as ExecutionDetailBody;
    expect(detail).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(detail.steps.map((s) => [s.name, s.status])).toEqual([['build', 'succeeded']]);
    const logs = await runCli(['logs', id!, '--database-url', url], { dataDir: tempDir() });
    expect(logs.stdout).toContain('compiled\n');
  });
});
