import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ExecutionBody, ExecutionDetailBody } from '../../src/protocol/api-schemas.js';
import { listeningUrl, SERVER_ENV, startCli } from '../helpers/run-cli.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { call, waitFor } from './execution-api-client.js';

const tempDir = useTempDirs();

const unique = randomUUID().slice(0, 8);
const KEY = `admin-key-${unique}`;
const MORE_KEYS = [`second-key-${unique}`, `third-key-${unique}`];
const CLOUD_SECRET = `cloud-secret-${unique}`;
const UNLISTED = `unlisted-${unique}`;
const PASSED = `passed-${unique}`;
const auth = { authorization: `Bearer ${KEY}` };

/** Its environment, then its parent's (the server's spawn helper), one variable per line. */
const PRINT_ENVIRONMENTS = `env; echo '--- parent ---'; tr '\\0' '\\n' < /proc/$PPID/environ`;

describe('the environment of a run started by the server', () => {
  it('holds the allow-list, the pass-through and the run’s env, never the server’s keys, server-only or unlisted variables', async () => {
    const dataDir = tempDir();
    const work = tempDir();
    // `stepflow server` as an operator starts it: the policy is read from its real environment.
    const server = startCli(['server', '--port', '0'], {
      dataDir,
      env: {
        ...SERVER_ENV,
        STEPFLOW_API_KEY: KEY,
        STEPFLOW_API_KEYS: MORE_KEYS.join(','),
        STEPFLOW_SERVER_ONLY_ENV: 'MY_CLOUD_*',
        // Server-only wins over the pass-through.
        STEPFLOW_ENV_PASSTHROUGH: 'PASSED_*,MY_CLOUD_SECRET',
        MY_CLOUD_SECRET: CLOUD_SECRET,
        UNLISTED_SERVER_VARIABLE: UNLISTED,
        PASSED_THROUGH_VARIABLE: PASSED,
      },
    });
    try {
      const url = await listeningUrl(server.child, 20_000);
      const started = await call<ExecutionBody>(
        url,
        'POST',
        '/api/executions',
        { command: PRINT_ENVIRONMENTS, cwd: work, env: { RUN_GREETING: 'hello from the run' } },
        auth,
      );
      expect(started.status).toBe(201);
      const id = started.body.id;
      const finished = await waitFor(async () => {
        const detail = await call<ExecutionDetailBody>(url, 'GET', `/api/executions/${id}`, undefined, auth);
        return detail.body.status === 'succeeded' || detail.body.status === 'failed'
          ? detail.body
          : undefined;
      }, `${id} to end`);
      expect(finished.status).toBe('succeeded');

      const log = (await call<string>(url, 'GET', `/api/executions/${id}/logs?format=text`, undefined, auth))
        .body;
      const [own = '', parent = ''] = log.split('--- parent ---');
      for (const secret of [KEY, ...MORE_KEYS, CLOUD_SECRET, UNLISTED, dataDir]) {
        expect(log).not.toContain(secret);
      }
      expect(log).not.toMatch(/^STEPFLOW_(API_KEY|API_KEYS|STORAGE_PATH|SERVER_ONLY_ENV|ENV_PASSTHROUGH)=/m);
      expect(own).toMatch(/^PATH=\//m);
      expect(own).toMatch(/^HOME=/m);
      expect(own).toContain('RUN_GREETING=hello from the run');
      expect(own).toContain(`PASSED_THROUGH_VARIABLE=${PASSED}`);
      expect(own).toContain(`STEPFLOW_EXECUTION_ID=${id}`);
      // The spawn helper (the script's parent) is no richer than the run.
      expect(parent).toMatch(/^PATH=\//m);
      expect(parent).toContain(`PASSED_THROUGH_VARIABLE=${PASSED}`);
    } finally {
      server.child.kill('SIGTERM');
      await server.result;
    }
  }, 60_000);
});
