import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExecutionBody } from '../../src/protocol/api-schemas.js';
import type { ErrorBodyJson } from '../../src/protocol/api-schemas.js';
import { runCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, createJob, ended, uniqueName, waitFor } from './jobs-client.js';
import { emptyJobForm, jobBody, jobFormFromJob } from '../../web/src/features/jobs/job-form-values.js';
import type { JobBody } from '../../src/protocol/job-schemas.js';

const startServer = useTestServers();
const tempDir = useTempDirs();

const OURS = /^stepflow-backup-\d{8}T\d{9}Z\.tar\.gz$/;

describe('backup jobs (the server runs the built CLI: run `npm run build` first)', () => {
  it('each run is a checked backup with a live log; the folder keeps the newest N StepFlow made and nothing else is touched', async () => {
    const { url } = await startServer();
    const dir = tempDir();
    // What rotation must leave alone: an operator's files, a name StepFlow does not give, a partial.
    const foreign = [
      'notes.txt',
      'stepflow-backup-manual.tar.gz',
      'stepflow-backup-20200101T000000000Z.tar.gz.partial',
    ];
    // And two older backups of StepFlow's own naming, which rotation deletes first.
    const older = [
      'stepflow-backup-20200101T000000000Z.tar.gz',
      'stepflow-backup-20200102T000000000Z.tar.gz',
    ];
    for (const name of [...foreign, ...older]) fs.writeFileSync(path.join(dir, name), 'not a backup\n');

    const job = await createJob(url, {
      name: uniqueName('nightly-backup'),
      backup: { dir, keep: 2 },
      triggers: [],
    });
    expect(job.backup).toEqual({ dir, keep: 2 });
    expect(job.argv).toEqual(['stepflow', 'backup', '--to', dir, '--keep', '2']);

    const runs: ExecutionBody[] = [];
    for (let i = 0; i < 3; i++) {
      const started = await call<{ id: string }>(url, 'POST', `/api/jobs/${job.id}/run`);
      expect(started.status).toBe(201);
      runs.push(
        await waitFor(
          async () => {
            const run = await call<ExecutionBody>(url, 'GET', `/api/executions/${started.body.id}`);
            return ended(run.body) && run.body;
          },
          'the backup run to end',
          60_000,
        ),
      );
    }
    expect(runs.map((run) => run.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);

    const log = await fetch(`${url}/api/executions/${runs[2]!.id}/logs?format=text`).then((r) => r.text());
    expect(log).toMatch(/backup: archiving 100%/);
    expect(log).toMatch(/checked: \d+ files read back match the manifest/);
    const kept = fs
      .readdirSync(dir)
      .filter((name) => OURS.test(name))
      .sort();
    expect(kept).toHaveLength(2);
    expect(kept.every((name) => !older.includes(name))).toBe(true);
    expect(log).toContain(`backed up`);
    expect(log).toContain(path.join(dir, kept[1]!));
    for (const name of foreign) expect(fs.readFileSync(path.join(dir, name), 'utf8')).toBe('not a backup\n');

    // The newest restores: the runs before it are in it, ended as they ended.
    const restored = path.join(tempDir(), 'restored');
    const restore = await runCli(['restore', path.join(dir, kept[1]!), '--data-dir', restored], {
      dataDir: tempDir(),
    });
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    const ls = JSON.parse((await runCli(['ls', '--json'], { dataDir: restored })).stdout) as {
      items: { id: string; status: string }[];
    };
    expect(ls.items.find((item) => item.id === runs[1]!.id)?.status).toBe('succeeded');

    // Created from the CLI the same way.
    const added = await runCli(
      [
        'jobs',
        'add',
        '--server',
        url,
        '--name',
        uniqueName('cli-backup'),
        '--every',
        '86400',
        '--backup',
        dir,
        '--keep',
        '3',
      ],
      { dataDir: tempDir() },
    );
    expect(added.stderr).toBe('');
    expect(added.stdout).toContain(`backup:   into ${dir}, keeping the newest 3`);
  }, 180_000);

  it('refuses a backup job that names its own command, a relative folder, or a worker label, naming the field', async () => {
    const { url } = await startServer();
    const name = uniqueName('bad-backup');
    const cases: [Record<string, unknown>, string][] = [
      [{ backup: { dir: '/tmp/b', keep: 2 }, command: 'rm -rf /' }, 'body.command'],
      [{ backup: { dir: 'relative/dir', keep: 2 } }, 'body.backup.dir'],
      [{ backup: { dir: '/tmp/b', keep: 0 } }, 'body.backup.keep'],
      [{ backup: { dir: '/tmp/b', keep: 2 }, runsOn: ['gpu'], cwd: '/' }, 'body.runsOn'],
    ];
    for (const [fields, field] of cases) {
      const response = await call<ErrorBodyJson>(url, 'POST', '/api/jobs', { name, triggers: [], ...fields });
      expect(response.status, JSON.stringify(fields)).toBe(400);
      expect(response.body.error.message).toContain(field);
    }
  });

  it("the dashboard's job form creates a backup job, keeps it one when edited, and turns it back into a command job", async () => {
    const { url } = await startServer();
    const dir = tempDir();
    const form = {
      ...emptyJobForm(),
      name: uniqueName('form-backup'),
      triggers: [],
      backupDir: dir,
      backupKeep: '4',
    };
    const created = await call<JobBody>(url, 'POST', '/api/jobs', jobBody(form));
    expect(created.status, created.text).toBe(201);
    expect(created.body.backup).toEqual({ dir, keep: 4 });

    const edited = { ...jobFormFromJob(created.body), backupKeep: '5' };
    expect(edited.backupDir).toBe(dir);
    const patched = await call<JobBody>(url, 'PATCH', `/api/jobs/${created.body.id}`, jobBody(edited));
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({
      backup: { dir, keep: 5 },
      argv: ['stepflow', 'backup', '--to', dir, '--keep', '5'],
    });

    const plain = { ...jobFormFromJob(patched.body), backupDir: '', command: 'echo plain' };
    const back = await call<JobBody>(url, 'PATCH', `/api/jobs/${created.body.id}`, jobBody(plain));
    expect(back.status, back.text).toBe(200);
    expect(back.body).toMatchObject({ backup: null, command: 'echo plain', argv: null });
  });

  it('needs an admin to create or change a backup job, as the backup route does; an operator may not', async () => {
    const server = await startServer({ env: { STEPFLOW_API_KEY: 'backup-job-key' } });
    const password = 'a long enough passphrase 42';
    const headers: Record<string, Record<string, string>> = {};
    for (const role of ['operator', 'admin'] as const) {
      await server.stepflow.app.users.add({ name: `${role}-user`, role, password });
      const login = await fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: `${role}-user`, password }),
      });
      expect(login.status).toBe(200);
      const { csrfToken } = (await login.json()) as { csrfToken: string };
      headers[role] = {
        cookie: (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
        'x-stepflow-csrf': csrfToken,
      };
    }
    const body = { name: uniqueName('admin-backup'), triggers: [], backup: { dir: tempDir(), keep: 2 } };
    const refused = await call<ErrorBodyJson>(server.url, 'POST', '/api/jobs', body, headers.operator);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('settings:admin');
    // An ordinary job stays the operator's to create.
    const plain = await call(
      server.url,
      'POST',
      '/api/jobs',
      { name: uniqueName('plain'), command: 'true', triggers: [] },
      headers.operator,
    );
    expect(plain.status).toBe(201);
    const created = await call<JobBody>(server.url, 'POST', '/api/jobs', body, headers.admin);
    expect(created.status).toBe(201);
    const changed = await call<ErrorBodyJson>(
      server.url,
      'PATCH',
      `/api/jobs/${created.body.id}`,
      { name: uniqueName('renamed') },
      headers.operator,
    );
    expect(changed.status).toBe(403);
  });
});
