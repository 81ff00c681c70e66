import type { Annotation } from '../../api/types.js';

/** `src/app.ts:12:5` (as much of it as is known); '' when the annotation names no file. */
export function annotationLocation(annotation: Pick<Annotation, 'file' | 'line' | 'col'>): string {
  if (annotation.file === null) return '';
  let text = annotation.file;
  if (annotation.line !== null) text += `:${annotation.line}`;
  if (annotation.line !== null && annotation.col !== null) text += `:${annotation.col}`;
  return text;
}
