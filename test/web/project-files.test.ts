import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { languageOf } from '../../web/src/features/projects/editor-language.js';
import { buildTree, type TreeNode } from '../../web/src/features/projects/file-tree.js';
import { defaultRunCommand, shellQuote } from '../../web/src/features/projects/run-command.js';
import { archiveContentType } from '../../web/src/features/projects/upload-archive.js';

const at = '2026-12-04T10:00:00.000Z';

/** name(size)[children] per level: enough to see order, nesting and folder sizes at a glance. */
const shape = (nodes: TreeNode[]): string[] =>
  nodes.map((node) =>
    node.type === 'file'
      ? `${node.name}(${node.size})`
      : `${node.name}/(${node.size})[${shape(node.children).join(',')}]`,
  );

describe('buildTree', () => {
  it('nests the flat list into folders, folders first then by name, each folder the sum of its files', () => {
    const tree = buildTree([
      { path: 'z.sh', type: 'file', size: 3, modifiedAt: at },
      { path: 'lib', type: 'directory', size: 0, modifiedAt: at },
      { path: 'lib/b.py', type: 'file', size: 5, modifiedAt: at },
      { path: 'lib/a.py', type: 'file', size: 7, modifiedAt: at },
      { path: 'a.md', type: 'file', size: 1, modifiedAt: at },
      { path: 'empty', type: 'directory', size: 0, modifiedAt: at },
    ]);
    expect(shape(tree)).toEqual(['empty/(0)[]', 'lib/(12)[a.py(7),b.py(5)]', 'a.md(1)', 'z.sh(3)']);
    expect(tree[1]?.children[0]?.path).toBe('lib/a.py');
  });

  it('makes up a folder a path implies but the list leaves out, so no file is lost', () => {
    const tree = buildTree([{ path: 'deep/er/x.txt', type: 'file', size: 2, modifiedAt: at }]);
    expect(shape(tree)).toEqual(['deep/(2)[er/(2)[x.txt(2)]]']);
    expect(tree[0]?.children[0]?.path).toBe('deep/er');
  });
});

describe('the editor language and the Run command by extension', () => {
  it.each([
    ['deploy.sh', 'shell', 'sh deploy.sh'],
    ['scripts/Build.BASH', 'shell', 'bash scripts/Build.BASH'],
    ['etl/load.py', 'python', 'python3 etl/load.py'],
    ['ci.yml', 'yaml', './ci.yml'],
    ['conf/app.yaml', 'yaml', 'conf/app.yaml'],
    ['data.json', 'json', './data.json'],
    ['README.md', 'markdown', './README.md'],
    ['Makefile', 'text', './Makefile'],
    ['.env', 'text', './.env'],
  ])('%s: %s, %s', (path, language, command) => {
    expect(languageOf(path)).toBe(language);
    expect(defaultRunCommand(path)).toBe(command);
  });

  it('quotes a path /bin/sh would split or expand, and sh reads it back exactly', () => {
    for (const path of ['my script.sh', "it's $HOME.sh", 'a;b`c`.sh']) {
      const command = defaultRunCommand(path);
      expect(command.startsWith('sh ')).toBe(true);
      const word = execFileSync('/bin/sh', ['-c', `printf %s ${shellQuote(path)}`], { encoding: 'utf8' });
      expect(word).toBe(path);
    }
  });
});

describe('archiveContentType', () => {
  it.each([
    ['site.zip', '', 'application/zip'],
    ['site.ZIP', 'application/x-zip-compressed', 'application/zip'],
    ['site.tar.gz', 'application/x-gzip', 'application/gzip'],
    ['site.tgz', '', 'application/gzip'],
    ['site.rar', 'application/vnd.rar', 'application/vnd.rar'],
    ['notes', '', 'application/octet-stream'],
  ])('%s (%s) is sent as %s', (name, type, expected) => {
    expect(archiveContentType({ name, type })).toBe(expected);
  });
});
