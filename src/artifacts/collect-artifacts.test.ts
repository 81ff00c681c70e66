import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Artifact } from '../core/model.js';
import { collectArtifacts } from './collect-artifacts.js';
import type { CollectArtifactsOptions } from './collect-artifacts.js';
import { resolveStoredArtifact } from './stored-artifact-path.js';

let root: string;
let work: string;
let data: string;
let outside: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'stepflow-artifacts-'));
  work = path.join(root, 'work');
  data = path.join(root, 'data');
  outside = path.join(root, 'outside');
  for (const dir of [work, data, outside]) fs.mkdirSync(dir);
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function collect(pattern: string, overrides: Partial<CollectArtifactsOptions> = {}): Promise<Artifact[]> {
  let lastId = 0;
  return collectArtifacts({
    dataDir: data,
    executionId: '01HZXEXECUTION',
    cwd: work,
    pattern,
    description: 'a description',
    stepId: 2,
    nextId: () => ++lastId,
    now: () => new Date('2024-05-01T12:00:00.000Z'),
    ...overrides,
  });
}

function write(relativePath: string, content: string | Buffer, base = work): string {
  const file = path.join(base, relativePath);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

const sha256 = (content: string | Buffer): string => createHash('sha256').update(content).digest('hex');

function copyOf(artifact: Artifact | undefined): string {
  if (artifact?.storedPath == null) throw new Error(`no stored copy: ${JSON.stringify(artifact)}`);
  return resolveStoredArtifact(data, artifact.storedPath);
}

function only(artifacts: Artifact[]): Artifact {
  expect(artifacts).toHaveLength(1);
  return artifacts[0] as Artifact;
}

function expectFailed(artifact: Artifact, reason: RegExp): void {
  expect(artifact).toMatchObject({
    status: 'failed',
    storedPath: null,
    size: null,
    sha256: null,
    kind: null,
  });
  expect(artifact.error).toMatch(reason);
  expect(artifact.error).not.toContain('\n');
}

describe('collectArtifacts: files', () => {
  it('copies a file and records its size, sha256, media type, step and time', async () => {
    write('out/report.json', '{"ok":true}\n');

    const artifact = only(await collect('out/report.json'));

    expect(artifact).toEqual({
      id: 1,
      stepId: 2,
      path: 'out/report.json',
      description: 'a description',
      status: 'stored',
      error: null,
      kind: 'file',
      size: 12,
      sha256: sha256('{"ok":true}\n'),
      mediaType: 'application/json',
      createdAt: '2024-05-01T12:00:00.000Z',
      storedPath: 'artifacts/01HZXEXECUTION/1/report.json',
    });
    expect(fs.readFileSync(copyOf(artifact), 'utf8')).toBe('{"ok":true}\n');
  });

  it('keeps the copy when the script deletes the file afterwards', async () => {
    const bytes = randomBytes(4096);
    const file = write('build.bin', bytes);

    const artifact = only(await collect('build.bin'));
    fs.rmSync(file);

    expect(fs.readFileSync(copyOf(artifact)).equals(bytes)).toBe(true);
    expect(artifact.mediaType).toBe('application/octet-stream');
  });

  it('accepts an absolute path inside the working directory and reports it relative', async () => {
    const file = write('logs/app.log', 'line\n');

    const artifact = only(await collect(file));

    expect(artifact).toMatchObject({ status: 'stored', path: 'logs/app.log' });
  });

  it('accepts an absolute path inside an extra allowed root and reports it absolute', async () => {
    const file = write('shared.txt', 'shared', outside);

    const artifact = only(await collect(file, { allowedRoots: [outside] }));

    expect(artifact).toMatchObject({ status: 'stored', path: file, mediaType: 'text/plain' });
    expect(fs.readFileSync(copyOf(artifact), 'utf8')).toBe('shared');
  });

  it('keeps Unicode file names for the path and the copy', async () => {
    write('résumé 报告 🚀.txt', 'unicode');

    const artifact = only(await collect('résumé 报告 🚀.txt'));

    expect(artifact).toMatchObject({ status: 'stored', path: 'résumé 报告 🚀.txt', mediaType: 'text/plain' });
    expect(path.basename(copyOf(artifact))).toBe('résumé 报告 🚀.txt');
    expect(fs.readFileSync(copyOf(artifact), 'utf8')).toBe('unicode');
  });

  it('keeps the description verbatim, colons and spaces included', async () => {
    write('a.txt', 'a');
    const description = '  Coverage: 93% — “final” report:v2  ';

    const artifact = only(await collect('a.txt', { description }));

    expect(artifact.description).toBe(description);
  });

  it('takes an existing file literally even when its name looks like a glob', async () => {
    write('report[1].txt', 'literal');
    write('report1.txt', 'glob match');

    const artifact = only(await collect('report[1].txt'));

    expect(fs.readFileSync(copyOf(artifact), 'utf8')).toBe('literal');
  });

  it('hashes a 50 MB file correctly while streaming it', async () => {
    const bytes = Buffer.alloc(50 * 1024 * 1024);
    for (let offset = 0; offset < bytes.length; offset += 4096) bytes.writeUInt32LE(offset, offset);
    write('big.bin', bytes);

    const artifact = only(await collect('big.bin'));

    expect(artifact).toMatchObject({ status: 'stored', size: bytes.length, sha256: sha256(bytes) });
    expect(fs.statSync(copyOf(artifact)).size).toBe(bytes.length);
  });
});

describe('collectArtifacts: globs', () => {
  it('expands a glob into one artifact per match with distinct ids, in path order', async () => {
    write('reports/b.xml', '<b/>');
    write('reports/a.xml', '<a/>');
    write('reports/notes.txt', 'not matched');

    const artifacts = await collect('reports/*.xml');

    expect(artifacts.map((a) => [a.id, a.path, a.status, a.mediaType])).toEqual([
      [1, 'reports/a.xml', 'stored', 'application/xml'],
      [2, 'reports/b.xml', 'stored', 'application/xml'],
    ]);
    expect(fs.readFileSync(copyOf(artifacts[1]), 'utf8')).toBe('<b/>');
  });

  it('records one failed artifact when a glob matches nothing', async () => {
    const artifact = only(await collect('reports/*.xml'));

    expectFailed(artifact, /^no file matches "reports\/\*\.xml"$/);
    expect(artifact.path).toBe('reports/*.xml');
  });

  it('collapses matches inside a matched directory into that directory', async () => {
    write('dist/app.js', 'js');
    write('dist/sub/lib.js', 'lib');

    const artifact = only(await collect('dist/**'));

    expect(artifact).toMatchObject({ status: 'stored', kind: 'directory', path: 'dist', size: 5 });
  });

  it('refuses a glob whose fixed part leaves the working directory', async () => {
    write('secret.txt', 'secret', outside);

    expectFailed(only(await collect('../outside/*.txt')), /outside the working directory/);
  });

  it('does not list a directory outside reached through a symlink, and says why nothing matched', async () => {
    write('secret.txt', 'secret', outside);
    fs.symlinkSync(outside, path.join(work, 'linked'));

    const artifact = only(await collect('linked/*.txt'));

    expectFailed(
      artifact,
      /^no file matches "linked\/\*\.txt" \(a directory it goes through leads outside the working directory and the allowed roots\)$/,
    );
  });
});

describe('collectArtifacts: directories', () => {
  it('copies a directory recursively with total size and a manifest sha256', async () => {
    write('site/index.html', '<h1>hi</h1>');
    write('site/css/main.css', 'body{}');
    write('site/css/z/deep.txt', 'deep');
    fs.mkdirSync(path.join(work, 'site/empty'));

    const artifact = only(await collect('site', { description: 'the site' }));

    const manifest = [
      ['css/main.css', 'body{}'],
      ['css/z/deep.txt', 'deep'],
      ['index.html', '<h1>hi</h1>'],
    ]
      .map(([name, content]) => `${sha256(content ?? '')}  ${name}\n`)
      .join('');
    expect(artifact).toMatchObject({
      status: 'stored',
      kind: 'directory',
      mediaType: 'inode/directory',
      size: 'body{}'.length + 'deep'.length + '<h1>hi</h1>'.length,
      sha256: sha256(manifest),
      storedPath: 'artifacts/01HZXEXECUTION/1/site',
    });
    expect(fs.readFileSync(path.join(copyOf(artifact), 'css/z/deep.txt'), 'utf8')).toBe('deep');
    expect(fs.statSync(path.join(copyOf(artifact), 'empty')).isDirectory()).toBe(true);
  });

  it('follows symlinks that stay inside the roots and skips those that escape, loop or dangle', async () => {
    write('site/index.html', 'index');
    write('shared/logo.svg', '<svg/>');
    write('secret.txt', 'secret', outside);
    fs.symlinkSync(path.join(work, 'shared/logo.svg'), path.join(work, 'site/logo.svg'));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(work, 'site/secret.txt'));
    fs.symlinkSync(outside, path.join(work, 'site/outside-dir'));
    fs.symlinkSync('..', path.join(work, 'site/loop'));
    fs.symlinkSync('missing', path.join(work, 'site/dangling'));

    const artifact = only(await collect('site'));

    expect(artifact.status).toBe('stored');
    const copy = copyOf(artifact);
    expect(fs.readdirSync(copy).sort()).toEqual(['index.html', 'logo.svg']);
    expect(fs.lstatSync(path.join(copy, 'logo.svg')).isFile()).toBe(true);
    expect(artifact.size).toBe('index'.length + '<svg/>'.length);
  });

  it('skips named pipes inside a directory instead of waiting on them', async () => {
    write('dir/file.txt', 'x');
    execFileSync('mkfifo', [path.join(work, 'dir/pipe')]);

    const artifact = only(await collect('dir'));

    expect(artifact).toMatchObject({ status: 'stored', size: 1 });
    expect(fs.readdirSync(copyOf(artifact))).toEqual(['file.txt']);
  });

  it("refuses to copy StepFlow's own artifact store into itself", async () => {
    const dataInside = path.join(work, '.stepflow');
    write('a.txt', 'a');

    const [first] = await collect('a.txt', { dataDir: dataInside });
    const artifact = only(await collect('.stepflow/artifacts', { dataDir: dataInside, nextId: () => 2 }));

    expect(first?.status).toBe('stored');
    expectFailed(artifact, /artifact store/);
  });

  it('leaves the artifact store out when copying a directory that contains it', async () => {
    const dataInside = path.join(work, '.stepflow');
    write('a.txt', 'a');
    await collect('a.txt', { dataDir: dataInside });

    const artifact = only(await collect('.', { dataDir: dataInside, nextId: () => 2 }));

    expect(artifact).toMatchObject({ status: 'stored', path: '.', size: 1 });
    const copy = resolveStoredArtifact(dataInside, artifact.storedPath ?? '');
    expect(fs.readdirSync(copy).sort()).toEqual(['.stepflow', 'a.txt']);
    expect(fs.readdirSync(path.join(copy, '.stepflow'))).toEqual([]);
  });
});

describe('collectArtifacts: failures are recorded, never thrown', () => {
  it('records a missing file as failed and stores nothing', async () => {
    const artifact = only(await collect('nope.txt'));

    expectFailed(artifact, /^no such file or directory$/);
    expect(artifact).toMatchObject({ id: 1, path: 'nope.txt', description: 'a description', stepId: 2 });
    expect(fs.readdirSync(data)).toEqual([]);
  });

  it('refuses a path that escapes the working directory with ../', async () => {
    write('secret.txt', 'secret', outside);

    const artifact = only(await collect('../outside/secret.txt'));

    expectFailed(artifact, /outside the working directory and the allowed roots/);
    expect(artifact.path).toBe(path.join(outside, 'secret.txt'));
  });

  it('refuses an absolute path outside the roots without revealing whether it exists', async () => {
    const present = only(await collect(write('present.txt', 'here', outside)));
    const missing = only(await collect(path.join(outside, 'missing.txt')));

    expectFailed(present, /outside the working directory/);
    expect(missing.error).toBe(present.error);
  });

  it('refuses a symlink inside the working directory that points outside', async () => {
    write('secret.txt', 'secret', outside);
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(work, 'innocent.txt'));
    fs.symlinkSync('/etc/passwd', path.join(work, 'passwd'));

    expectFailed(only(await collect('innocent.txt')), /symbolic link .* outside/);
    expectFailed(only(await collect('passwd')), /symbolic link .* outside/);
  });

  it('records a path through a file used as a directory as unreadable', async () => {
    write('file.txt', 'a file');

    expectFailed(only(await collect('file.txt/x')), /^a component of the path is not a directory$/);
  });

  it('refuses a named pipe as not a regular file', async () => {
    execFileSync('mkfifo', [path.join(work, 'pipe')]);

    expectFailed(only(await collect('pipe')), /^not a regular file or directory \(it is a named pipe\)$/);
  });

  it('refuses a socket as not a regular file', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(work, 'app.sock'), resolve));
    try {
      expectFailed(only(await collect('app.sock')), /^not a regular file or directory \(it is a socket\)$/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('records an empty path as failed', async () => {
    expectFailed(only(await collect('  ')), /^no path given$/);
  });

  it('records a data dir that cannot hold copies as failed', async () => {
    write('a.txt', 'a');
    const notADirectory = write('data-file', 'x', root);

    const artifact = only(await collect('a.txt', { dataDir: notADirectory }));

    expectFailed(artifact, /^could not store the copy: /);
  });
});
