import type { Annotation } from '../core/model.js';

/**
 * Where an annotation points, as editors and compilers print it: `file`, `file:line` or
 * `file:line:col` (a column means nothing without its line); '' when it names no file.
 */
export function annotationLocation(annotation: Pick<Annotation, 'file' | 'line' | 'col'>): string {
  const { file, line, col } = annotation;
  if (file === null) return '';
  if (line === null) return file;
  return col === null ? `${file}:${line}` : `${file}:${line}:${col}`;
}
