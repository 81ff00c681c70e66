import { describe, expect, it } from 'vitest';
import {
  IMAGE_PREVIEW_BYTES,
  previewPlanOf,
  TEXT_PREVIEW_BYTES,
} from '../../web/src/features/artifacts/preview-kind.js';

const file = (path: string, mediaType: string | null, size = 100) =>
  ({ status: 'stored', kind: 'file', path, mediaType, size }) as const;

describe('previewPlanOf', () => {
  it.each([
    ['chart.png', 'image/png', 'image'],
    ['plot.svg', 'image/svg+xml', 'image'],
    ['metrics.json', 'application/json', 'json'],
    ['data.json', null, 'json'],
    ['scores.csv', 'text/csv; charset=utf-8', 'csv'],
    ['README.md', 'text/markdown', 'markdown'],
    ['notes.markdown', null, 'markdown'],
    ['report.html', 'text/html', 'html'],
    ['build.log', 'application/octet-stream', 'text'],
    ['out.txt', 'text/plain', 'text'],
  ])('%s (%s) → %s', (path, type, kind) => {
    expect(previewPlanOf(file(path, type)).kind).toBe(kind);
  });

  it('offers none for binaries, directories, failed artifacts and files past the limits', () => {
    expect(previewPlanOf(file('model.bin', 'application/octet-stream'))).toEqual({
      kind: 'none',
      reason: 'no preview for application/octet-stream',
    });
    expect(previewPlanOf({ ...file('dist', null), kind: 'directory' }).kind).toBe('none');
    expect(previewPlanOf({ ...file('x.txt', 'text/plain'), status: 'failed' }).kind).toBe('none');
    expect(previewPlanOf(file('big.txt', 'text/plain', TEXT_PREVIEW_BYTES + 1)).kind).toBe('none');
    expect(previewPlanOf(file('ok.txt', 'text/plain', TEXT_PREVIEW_BYTES)).kind).toBe('text');
    expect(previewPlanOf(file('big.png', 'image/png', IMAGE_PREVIEW_BYTES)).kind).toBe('image');
    expect(previewPlanOf(file('huge.png', 'image/png', IMAGE_PREVIEW_BYTES + 1)).kind).toBe('none');
  });
});
