import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveStoredArtifact, storedArtifactPath } from './stored-artifact-path.js';

const dataDir = path.resolve('/srv/stepflow-data');

describe('storedArtifactPath', () => {
  it('places a copy under artifacts/<execution>/<id>/<name>', () => {
    expect(storedArtifactPath('01HZX', 7, 'report 报告.xml')).toBe('artifacts/01HZX/7/report 报告.xml');
  });

  it('replaces separators and control characters in the name', () => {
    expect(storedArtifactPath('E', 1, 'a\\b\nc\u0000d')).toBe('artifacts/E/1/a_b_c_d');
  });

  it('never names a copy "." or ".."', () => {
    expect(storedArtifactPath('E', 1, '..')).toBe('artifacts/E/1/artifact');
    expect(storedArtifactPath('E', 1, '')).toBe('artifacts/E/1/artifact');
  });

  it('refuses an execution id or artifact id that could change the directory', () => {
    expect(() => storedArtifactPath('../E', 1, 'a')).toThrow(/invalid artifact location/);
    expect(() => storedArtifactPath('E', 0, 'a')).toThrow(/invalid artifact location/);
  });
});

describe('resolveStoredArtifact', () => {
  it('resolves a stored path inside the artifacts directory', () => {
    expect(resolveStoredArtifact(dataDir, 'artifacts/E/1/a.txt')).toBe(
      path.join(dataDir, 'artifacts', 'E', '1', 'a.txt'),
    );
  });

  it.each([
    ['a parent hop', '../etc/passwd'],
    ['a hop out of artifacts', 'artifacts/../stepflow.db'],
    ['an absolute path', '/etc/passwd'],
    ['the artifacts directory itself', 'artifacts'],
    ['a NUL byte', 'artifacts/E/1/a\u0000.txt'],
  ])('refuses %s', (_label, storedPath) => {
    expect(() => resolveStoredArtifact(dataDir, storedPath)).toThrow(
      expect.objectContaining({ code: 'artifact_rejected' }),
    );
  });
});
