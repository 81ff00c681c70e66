import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionDetailBody } from '../../src/protocol/api-schemas.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';
import { call, FIXTURES, startExecution, waitForStatus } from './execution-api-client.js';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

// One run of the fixture serves every test here: they only read.
let server: TestServer;
let workDir: string;
let execution: ExecutionDetailBody;
const artifact = (pathShown: string) => {
  const found = execution.artifacts.find((a) => a.path === pathShown);
  if (!found) throw new Error(`no artifact ${pathShown}`);
  return found;
};
const download = (id: number, headers: Record<string, string> = {}, method = 'GET') =>
  fetch(`${server.url}/api/executions/${execution.id}/artifacts/${id}`, { headers, method });

beforeAll(async () => {
  server = await startTestServer();
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-artifacts-work-'));
  const { id } = await startExecution(server.url, {
    argv: [path.join(FIXTURES, 'make-artifacts.sh')],
    cwd: workDir,
  });
  execution = await waitForStatus(server.url, id);
});
afterAll(async () => {
  await server.close();
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe('GET /api/executions/:id/artifacts/:artifactId', () => {
  it('downloads a file whole: bytes match its sha256, with type, length, disposition and ETag', async () => {
    const data = artifact('data.bin');
    const response = await download(data.id);
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.equals(fs.readFileSync(path.join(workDir, 'data.bin')))).toBe(true);
    expect(sha256(bytes)).toBe(data.sha256);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      'content-type': data.mediaType,
      'content-length': '100000',
      'accept-ranges': 'bytes',
      etag: `"${data.sha256}"`,
      'content-disposition': `attachment; filename="data.bin"; filename*=UTF-8''data.bin`,
      'x-content-type-options': 'nosniff',
    });
  });

  it('names a non-ASCII file with RFC 5987 and a plain ASCII fallback', async () => {
    const notes = artifact('naïve notes.txt');
    const response = await download(notes.id);
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="na_ve notes.txt"; filename*=UTF-8''na%C3%AFve%20notes.txt`,
    );
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(await response.text()).toBe('plain text\n');
  });

  it('serves single byte ranges with 206 and Content-Range', async () => {
    const data = artifact('data.bin');
    const whole = fs.readFileSync(path.join(workDir, 'data.bin'));
    for (const [range, start, end] of [
      ['bytes=0-9', 0, 9],
      ['bytes=99990-', 99990, 99999],
      ['bytes=-16', 99984, 99999],
      ['bytes=500-99999999', 500, 99999],
    ] as const) {
      const response = await download(data.id, { range });
      expect({ range, status: response.status }).toEqual({ range, status: 206 });
      expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end}/100000`);
      expect(response.headers.get('content-length')).toBe(String(end - start + 1));
      expect(Buffer.from(await response.arrayBuffer()).equals(whole.subarray(start, end + 1))).toBe(true);
    }
  });

  it('answers 416 with Content-Range bytes */size for a range past the end', async () => {
    const data = artifact('data.bin');
    for (const range of ['bytes=100000-', 'bytes=200000-200010', 'bytes=-0']) {
      const response = await download(data.id, { range });
      expect({ range, status: response.status }).toEqual({ range, status: 416 });
      expect(response.headers.get('content-range')).toBe('bytes */100000');
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
        'range_not_satisfiable',
      );
    }
  });

  it('sends the whole file for a Range it does not serve (several ranges, bad syntax, stale If-Range)', async () => {
    const data = artifact('data.bin');
    for (const headers of [
      { range: 'bytes=0-1,5-6' },
      { range: 'bytes=9-2' },
      { range: 'items=0-5' },
      { range: 'bytes=0-9', 'if-range': '"other-version"' },
    ] as Record<string, string>[]) {
      const response = await download(data.id, headers);
      expect({ headers, status: response.status }).toEqual({ headers, status: 200 });
      expect((await response.arrayBuffer()).byteLength).toBe(100000);
    }
    expect((await download(data.id, { range: 'bytes=0-9', 'if-range': `"${data.sha256}"` })).status).toBe(
      206,
    );
  });

  it('answers 304 when If-None-Match has the ETag', async () => {
    const data = artifact('data.bin');
    const response = await download(data.id, { 'if-none-match': `"${data.sha256}"` });
    expect(response.status).toBe(304);
    expect(await response.text()).toBe('');
  });

  it('answers HEAD with the headers and no body', async () => {
    const data = artifact('data.bin');
    const response = await download(data.id, {}, 'HEAD');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe('100000');
    expect(await response.text()).toBe('');
  });

  it('downloads a directory as <name>.zip whose entries match the stored tree', async () => {
    const report = artifact('report');
    expect(report.kind).toBe('directory');
    const response = await download(report.id);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="report.zip"; filename*=UTF-8''report.zip`,
    );
    expect(response.headers.get('accept-ranges')).toBe('none');
    const zipPath = path.join(workDir, 'downloaded.zip');
    fs.writeFileSync(zipPath, Buffer.from(await response.arrayBuffer()));
    // Python's zipfile reads the archive independently of the library that wrote it.
    const listing = JSON.parse(
      execFileSync('python3', [
        '-c',
        'import hashlib, json, sys, zipfile\n' +
          'z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None\n' +
          'print(json.dumps({i.filename: (None if i.is_dir() else hashlib.sha256(z.read(i)).hexdigest()) for i in z.infolist()}))',
        zipPath,
      ]).toString(),
    ) as Record<string, string | null>;
    const file = (name: string) => sha256(fs.readFileSync(path.join(workDir, 'report', name)));
    expect(listing).toEqual({
      'empty/': null,
      'index.html': file('index.html'),
      'nested/deeper/leaf.txt': file('nested/deeper/leaf.txt'),
      'nested/résumé.txt': file('nested/résumé.txt'),
    });
    // The artifact's sha256 is the sha256sum-style manifest of the files in the tree.
    const manifest = Object.entries(listing)
      .filter(([, hash]) => hash !== null)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, hash]) => `${hash}  ${name}\n`)
      .join('');
    expect(sha256(manifest)).toBe(report.sha256);
  });

  it('answers 404 with the reason for an artifact that failed, and for unknown artifacts', async () => {
    const missing = artifact('missing.txt');
    expect(missing.status).toBe('failed');
    const failed = await download(missing.id);
    expect(failed.status).toBe(404);
    const body = (await failed.json()) as { error: { message: string } };
    expect(body.error.message).toContain(`was not stored: ${missing.error}`);

    const unknown = await call<{ error: { message: string } }>(
      server.url,
      'GET',
      `/api/executions/${execution.id}/artifacts/99`,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toMatch(/artifact 99/);
  });

  it('takes ids only: a path or a non-number as artifact id is a 400 or 404, never a file', async () => {
    for (const [route, status] of [
      [`/api/executions/${execution.id}/artifacts/abc`, 400],
      [`/api/executions/${execution.id}/artifacts/0`, 400],
      [`/api/executions/${execution.id}/artifacts/1.5`, 400],
      [`/api/executions/${execution.id}/artifacts/..%2F..%2Fstepflow.db`, 400],
      [`/api/executions/..%2F..%2Fetc/artifacts/1`, 404],
    ] as const) {
      const response = await call(server.url, 'GET', route);
      expect({ route, status: response.status }).toEqual({ route, status });
    }
  });
});
