import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ArtifactPageBody } from '../../src/protocol/api-schemas.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers } from '../helpers/test-server.js';
import { call, startExecution, waitForStatus } from './execution-api-client.js';

const startServer = useTestServers();
const tempDir = useTempDirs();

type ErrorJson = { error: { code: string; message: string } };

/** Three executions with artifacts (one with none), created oldest first; returns their ids. */
async function seed(url: string): Promise<{ cwd: string; ids: string[] }> {
  const cwd = tempDir();
  const runs = [
    {
      name: '数据处理',
      command: `printf 'a,b\\n1,2\\n' > 结果.csv; echo "ARTIFACT:结果.csv:处理后的数据"; exit 1`,
    },
    { name: 'no artifacts', command: 'echo nothing' },
    {
      name: 'train-model',
      command: [
        'head -c 3000 /dev/urandom > model.bin',
        'echo "STEP_START:save"',
        'echo "ARTIFACT:model.bin:Trained WEIGHTS"',
        'echo "STEP_COMPLETE:save"',
        'echo "metrics" > metrics.txt; echo "ARTIFACT:metrics.txt"',
      ].join('; '),
    },
  ];
  const ids: string[] = [];
  for (const run of runs) {
    const { id } = await startExecution(url, { ...run, cwd });
    await waitForStatus(url, id);
    ids.push(id);
  }
  return { cwd, ids };
}

describe('GET /api/artifacts', () => {
  it('lists every artifact, newest execution first, with its execution, and no storage path', async () => {
    const { url } = await startServer();
    const { cwd, ids } = await seed(url);
    const response = await call<ArtifactPageBody>(url, 'GET', '/api/artifacts');
    expect(response.status).toBe(200);
    const { items, nextCursor } = response.body;
    expect(nextCursor).toBeNull();
    expect(items.map((a) => [a.executionName, a.path])).toEqual([
      ['train-model', 'metrics.txt'],
      ['train-model', 'model.bin'],
      ['数据处理', '结果.csv'],
    ]);
    const model = items[1];
    expect(model).toMatchObject({
      executionId: ids[2],
      executionStatus: 'succeeded',
      description: 'Trained WEIGHTS',
      status: 'stored',
      kind: 'file',
      size: 3000,
    });
    expect(model?.stepId).not.toBeNull();
    expect(model?.stepName).toBe('save');
    expect(items[0]?.stepName).not.toBe('save');
    expect(Date.parse(model?.executionCreatedAt ?? '')).not.toBeNaN();
    expect(items[2]).toMatchObject({ executionId: ids[0], executionStatus: 'failed' });
    expect(items.every((a) => !('storedPath' in a))).toBe(true);

    // The listed ids are the ones the download route serves.
    const download = await fetch(`${url}/api/executions/${model?.executionId}/artifacts/${model?.id}`);
    expect(
      Buffer.from(await download.arrayBuffer()).equals(fs.readFileSync(path.join(cwd, 'model.bin'))),
    ).toBe(true);
  });

  it('filters by a case-insensitive substring of path, description or execution name', async () => {
    const { url } = await startServer();
    await seed(url);
    const paths = async (q: string) =>
      (await call<ArtifactPageBody>(url, 'GET', `/api/artifacts?q=${encodeURIComponent(q)}`)).body.items.map(
        (a) => a.path,
      );
    expect(await paths('MODEL.BIN')).toEqual(['model.bin']);
    expect(await paths('weights')).toEqual(['model.bin']);
    expect(await paths('Train')).toEqual(['metrics.txt', 'model.bin']);
    expect(await paths('处理')).toEqual(['结果.csv']);
    expect(await paths('nothing here')).toEqual([]);
  });

  it('pages with limit and cursor without gaps or repeats', async () => {
    const { url } = await startServer();
    await seed(url);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '' : `&cursor=${cursor}`;
      const page: ArtifactPageBody = (
        await call<ArtifactPageBody>(url, 'GET', `/api/artifacts?limit=2${query}`)
      ).body;
      seen.push(...page.items.map((a) => a.path));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(2);
    expect(seen).toEqual(['metrics.txt', 'model.bin', '结果.csv']);
  });

  it('answers a bad cursor, limit or unknown parameter with a 400 naming it', async () => {
    const { url } = await startServer();
    for (const [query, field] of [
      ['cursor=garbage!', 'cursor'],
      ['cursor=eA', 'cursor'],
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['limit=many', 'limit'],
      ['sort=name', 'sort'],
    ]) {
      const response = await call<ErrorJson>(url, 'GET', `/api/artifacts?${query}`);
      expect({ query, status: response.status, code: response.body.error.code }).toEqual({
        query,
        status: 400,
        code: 'validation_failed',
      });
      expect(response.body.error.message).toContain(field);
    }
  });
});

describe('GET /api/executions?order=asc', () => {
  it('lists oldest first and pages forwards; a bad order is a 400', async () => {
    const { url } = await startServer();
    const { ids } = await seed(url);
    type Page = { items: { id: string }[]; nextCursor: string | null };
    const first = (await call<Page>(url, 'GET', '/api/executions?order=asc&limit=2')).body;
    expect(first.items.map((e) => e.id)).toEqual(ids.slice(0, 2));
    const second = (
      await call<Page>(url, 'GET', `/api/executions?order=asc&limit=2&cursor=${first.nextCursor}`)
    ).body;
    expect(second.items.map((e) => e.id)).toEqual(ids.slice(2));
    expect(second.nextCursor).toBeNull();
    const newest = (await call<Page>(url, 'GET', '/api/executions?order=desc')).body;
    expect(newest.items.map((e) => e.id)).toEqual([...ids].reverse());
    const bad = await call<ErrorJson>(url, 'GET', '/api/executions?order=up');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('order');
  });
});
