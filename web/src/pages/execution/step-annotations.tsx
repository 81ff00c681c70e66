import type { Annotation } from '../../api/types.js';
import { annotationLocation } from '../../features/execution/annotation-location.js';
import { ANNOTATION_ICONS } from './annotation-list.js';

/**
 * The annotations a step printed, on its row of the step list: where (`file:line:col`) and what.
 * All text goes through React, so a message is shown as written, never as markup.
 */
export function StepAnnotations({
  annotations,
  indent,
}: {
  annotations: readonly Annotation[];
  indent: number;
}) {
  return (
    <ul className="step-annotations" aria-label="Step annotations" style={{ paddingLeft: indent }}>
      {annotations.map((annotation) => {
        const where = annotationLocation(annotation);
        return (
          <li key={annotation.id} className="annotation" data-level={annotation.level}>
            <span className="annotation-icon" aria-hidden="true">
              {ANNOTATION_ICONS[annotation.level]}
            </span>
            <span className="annotation-body">
              <span className="visually-hidden">{annotation.level}: </span>
              {where !== '' && <code className="annotation-location">{where}</code>}{' '}
              {annotation.title !== null && <strong>{annotation.title}: </strong>}
              <span className="annotation-message">{annotation.message}</span>
            </span>
          </li>
        );
      })}
    </ul>
  );
}
