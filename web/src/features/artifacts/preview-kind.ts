import type { Artifact } from '../../api/types.js';

/** How the dashboard can show an artifact in the page, or why it cannot. */
export type PreviewPlan =
  | { kind: 'image' | 'text' | 'json' | 'csv' | 'markdown' | 'html'; maxBytes: number }
  | { kind: 'none'; reason: string };

/** Text is read whole into the page: past this it is a download, not a preview. */
export const TEXT_PREVIEW_BYTES = 1024 * 1024;
/** Images are decoded by the browser, which copes with more. */
export const IMAGE_PREVIEW_BYTES = 10 * 1024 * 1024;

const IMAGE_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/svg+xml',
]);
const TEXT_EXTENSIONS = new Set([
  'txt',
  'log',
  'out',
  'err',
  'yaml',
  'yml',
  'toml',
  'ini',
  'xml',
  'sh',
  'py',
  'diff',
  'patch',
]);

/**
 * What preview an artifact gets, from its media type (recorded when it was collected) and its
 * name. Directories, failed artifacts and files past the size limit get none, with the reason.
 */
export function previewPlanOf(
  artifact: Pick<Artifact, 'status' | 'kind' | 'mediaType' | 'path' | 'size'>,
): PreviewPlan {
  if (artifact.status !== 'stored') return { kind: 'none', reason: 'not stored' };
  if (artifact.kind === 'directory') return { kind: 'none', reason: 'a directory: download it as a zip' };
  const type = (artifact.mediaType ?? '').split(';')[0]!.trim().toLowerCase();
  const extension = /\.([^./]+)$/.exec(artifact.path)?.[1]?.toLowerCase() ?? '';
  const kind = kindOf(type, extension);
  if (kind === undefined) return { kind: 'none', reason: `no preview for ${type || 'this type'}` };
  const maxBytes = kind === 'image' ? IMAGE_PREVIEW_BYTES : TEXT_PREVIEW_BYTES;
  if ((artifact.size ?? 0) > maxBytes) {
    return { kind: 'none', reason: `too large to preview (over ${maxBytes / 1024 / 1024} MiB): download it` };
  }
  return { kind, maxBytes };
}

function kindOf(type: string, extension: string): Exclude<PreviewPlan['kind'], 'none'> | undefined {
  if (IMAGE_TYPES.has(type)) return 'image';
  if (type === 'application/json' || extension === 'json') return 'json';
  if (type === 'text/csv' || extension === 'csv') return 'csv';
  if (type === 'text/markdown' || extension === 'md' || extension === 'markdown') return 'markdown';
  if (type === 'text/html' || extension === 'html' || extension === 'htm') return 'html';
  if (type.startsWith('text/') || TEXT_EXTENSIONS.has(extension)) return 'text';
  return undefined;
}
