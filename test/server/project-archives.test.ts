import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { lieAboutSizes, makeTarGz, makeZip, patchName, walk } from '../helpers/archives.js';
import { useTempDirs } from '../helpers/temp-dir.js';
import { useTestServers, type TestServer } from '../helpers/test-server.js';

/**
 * Uploaded archives are checked entry by entry (docs/WORKSPACE.md): each hostile one is a 400
 * naming the entry and the rule, nothing is written outside the project, nothing is left in it,
 * and no version is added. One real server for the file.
 */
const start = useTestServers();
const tempDir = useTempDirs();

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers of several shapes
type Json = any;

async function upload(server: TestServer, name: string, body: Buffer, type: string) {
  const response = await fetch(`${server.url}/api/projects/${name}/versions`, {
    method: 'POST',
    headers: { 'content-type': type },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, Json> };
}

describe('hostile archives are refused, entry named, nothing written', () => {
  it('zip-slip, absolute path, symlink out, a ratio bomb and a size that lies; tar.gz with .. and a symlink', async () => {
    const server = await start();
    const created = await fetch(`${server.url}/api/projects`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'site' }),
    });
    expect(created.status).toBe(201);
    const marker = `evil-${crypto.randomUUID().slice(0, 8)}.txt`;
    const outside = path.join(os.tmpdir(), marker);
    const zeros = Buffer.alloc(20 * 1024 * 1024);

    const tarDir = tempDir();
    fs.mkdirSync(path.join(tarDir, 'src'));
    fs.writeFileSync(path.join(tarDir, marker), 'evil');
    fs.symlinkSync('/etc', path.join(tarDir, 'src', 'etc-link'));

    const cases: { what: string; body: Buffer; type: string; entry: string | null; rule: string }[] = [
      {
        what: 'zip-slip',
        body: patchName(
          await makeZip([
            { name: 'ok.txt', content: 'fine' },
            { name: `xx/xx/${marker}`, content: 'evil' },
          ]),
          `xx/xx/${marker}`,
          `../../${marker}`,
        ),
        type: 'application/zip',
        entry: `../../${marker}`,
        rule: 'path',
      },
      {
        what: 'absolute path',
        body: patchName(
          await makeZip([{ name: `x${outside.slice(1)}`, content: 'evil' }]),
          `x${outside.slice(1)}`,
          outside,
        ),
        type: 'application/zip',
        entry: outside,
        rule: 'path',
      },
      {
        what: 'symlink out',
        body: await makeZip([{ name: 'etc', content: '/etc', mode: 0o120777 }]),
        type: 'application/zip',
        entry: 'etc',
        rule: 'link',
      },
      {
        what: 'ratio bomb',
        body: await makeZip([{ name: 'zeros.bin', content: zeros }]),
        type: 'application/zip',
        entry: 'zeros.bin',
        rule: 'ratio',
      },
      {
        what: 'declared size lies',
        body: lieAboutSizes(await makeZip([{ name: 'zeros.bin', content: zeros }]), 1000),
        type: 'application/zip',
        entry: 'zeros.bin',
        rule: 'declared-size',
      },
      {
        what: 'tar.gz with ..',
        body: await makeTarGz(path.join(tarDir, 'src'), [`../${marker}`], path.join(tarDir, 'dotdot.tgz')),
        type: 'application/gzip',
        entry: `../${marker}`,
        rule: 'path',
      },
      {
        what: 'tar.gz symlink',
        body: await makeTarGz(path.join(tarDir, 'src'), ['etc-link'], path.join(tarDir, 'link.tgz')),
        type: 'application/gzip',
        entry: 'etc-link',
        rule: 'link',
      },
    ];
    for (const { what, body, type, entry, rule } of cases) {
      const answer = await upload(server, 'site', body, type);
      expect({ what, status: answer.status, error: answer.body.error }).toMatchObject({
        what,
        status: 400,
        error: { code: 'archive_rejected', details: { entry, rule } },
      });
      expect(answer.body.error.message).toContain(entry ?? '');
    }
    // Nothing outside, nothing left inside: only version 1's (empty) folder; no new version.
    expect(fs.existsSync(outside)).toBe(false);
    expect(
      walk(server.dataDir).filter((p) => p.includes('evil') || p.includes('zeros') || p.includes('etc')),
    ).toEqual([]);
    const projectDir = path.join(
      server.dataDir,
      'projects',
      fs.readdirSync(path.join(server.dataDir, 'projects'))[0]!,
    );
    expect(walk(projectDir).filter((p) => !p.startsWith('staging'))).toEqual(['versions', 'versions/1']);
    expect(walk(path.join(projectDir, 'staging'))).toEqual([]);
    const versions = (await (await fetch(`${server.url}/api/projects/site/versions`)).json()) as {
      versions: { version: number }[];
    };
    expect(versions.versions.map((v) => v.version)).toEqual([1]);
  }, 60_000);

  it('limits are configurable: entries and total size, each refused naming the rule', async () => {
    const server = await start({
      env: {},
      config: {
        projects: {
          limits: { maxEntries: 3, maxBytes: 1000, maxRatio: 200 },
          maxUploadBytes: 4096,
          keepVersions: 10,
        },
      },
    });
    await fetch(`${server.url}/api/projects`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'small' }),
    });
    const many = await makeZip(['a', 'b', 'c', 'd'].map((name) => ({ name, content: name })));
    expect((await upload(server, 'small', many, 'application/zip')).body.error).toMatchObject({
      code: 'archive_rejected',
      details: { entry: 'd', rule: 'entries' },
    });
    const big = await makeZip([{ name: 'big.txt', content: crypto.randomBytes(800).toString('hex') }]);
    expect((await upload(server, 'small', big, 'application/zip')).body.error).toMatchObject({
      code: 'archive_rejected',
      details: { entry: 'big.txt', rule: 'total-size' },
    });
    const huge = zlib.gzipSync(crypto.randomBytes(8000));
    const tooLarge = await upload(server, 'small', huge, 'application/gzip');
    expect(tooLarge.status).toBe(413);
    const text = await upload(server, 'small', Buffer.from('hello'), 'text/plain');
    expect(text.status).toBe(415);
  });
});
