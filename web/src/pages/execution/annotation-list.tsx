import type { Annotation, Step } from '../../api/types.js';
import { annotationLocation } from '../../features/execution/annotation-location.js';

export const ANNOTATION_ICONS: Record<Annotation['level'], string> = {
  error: '✗',
  warning: '⚠',
  notice: 'ℹ',
};

/** Errors and warnings the script reported (`::error file=…::`), each linking to its log line. */
export function AnnotationList({
  annotations,
  steps,
}: {
  annotations: readonly Annotation[];
  steps: readonly Step[];
}) {
  const stepNames = new Map(steps.map((step) => [step.id, step.name]));
  const order = { error: 0, warning: 1, notice: 2 } as const;
  const sorted = [...annotations].sort((a, b) => order[a.level] - order[b.level] || a.seq - b.seq);
  return (
    <section className="card annotations" aria-label="Annotations">
      <div className="card-header">
        Annotations <span className="muted">({annotations.length})</span>
      </div>
      <ul>
        {sorted.map((annotation) => (
          <li key={annotation.id} className="annotation" data-level={annotation.level}>
            <span className="annotation-icon" aria-hidden="true">
              {ANNOTATION_ICONS[annotation.level]}
            </span>
            <div className="annotation-body">
              <div>
                <span className="visually-hidden">{annotation.level}: </span>
                {annotation.title !== null && <strong>{annotation.title}: </strong>}
                <span className="annotation-message">{annotation.message}</span>
              </div>
              <div className="muted annotation-where">
                {annotation.file !== null && <code>{annotationLocation(annotation)}</code>}
                {annotation.stepId !== null && stepNames.has(annotation.stepId) && (
                  <span> in {stepNames.get(annotation.stepId)}</span>
                )}
                <a href={`#L${annotation.seq}`}> line {annotation.seq} of the log</a>
              </div>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
