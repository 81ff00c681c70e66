import type { Ref } from 'react';
import type { Annotation } from '../../api/types.js';
import { StatusBadge } from '../../components/status-badge.js';
import { elapsedMs, expectedStepMs, progressFraction } from '../../features/execution/step-progress.js';
import type { StepRow } from '../../features/execution/step-tree.js';
import type { ExecutionEstimates } from '../../features/execution/use-estimates.js';
import { formatDuration } from '../../format.js';
import { ProgressBar } from '../../components/progress-bar.js';
import { StepAnnotations } from './step-annotations.js';

interface Props {
  ref?: Ref<HTMLOListElement>;
  rows: readonly StepRow[];
  /** The execution's annotations: each is shown on the row of its step. */
  annotations?: readonly Annotation[];
  selected: number | null;
  now: number;
  estimates: ExecutionEstimates | undefined;
  onSelect(stepId: number): void;
  /**
   * Offered on failed steps once the run has ended: a re-run with STEPFLOW_RESUME_FROM=<name>. Not
   * on implicit steps ("Set up"…): the script never named them, so it cannot resume there.
   */
  rerunFrom?: { start(stepName: string): void; pending: boolean };
}

/**
 * The steps in order, nested ones indented, each a button that shows it in the log. One button
 * is tabbable at a time (the selected one); j/k and the arrows move between them.
 */
export function StepList({
  ref,
  rows,
  annotations = [],
  selected,
  now,
  estimates,
  onSelect,
  rerunFrom,
}: Props) {
  if (rows.length === 0) {
    return <p className="steps-empty muted">No steps yet.</p>;
  }
  const byStep = new Map<number, Annotation[]>();
  for (const annotation of annotations) {
    if (annotation.stepId === null) continue;
    const list = byStep.get(annotation.stepId);
    if (list) list.push(annotation);
    else byStep.set(annotation.stepId, [annotation]);
  }
  const tabbable = rows.some((row) => row.step.id === selected) ? selected : rows[0]?.step.id;
  return (
    <ol className="step-list" aria-label="Steps" ref={ref}>
      {rows.map(({ step, depth }) => {
        const elapsed = elapsedMs(step.startedAt, step.durationMs, step.endedAt, now);
        const fraction =
          step.status === 'running' && elapsed !== null
            ? progressFraction(elapsed, expectedStepMs(step, estimates))
            : null;
        return (
          <li
            key={step.id}
            className="step-item"
            data-step-id={step.id}
            data-status={step.status}
            aria-current={step.id === selected ? 'step' : undefined}
          >
            <button
              type="button"
              tabIndex={step.id === tabbable ? 0 : -1}
              style={{ paddingLeft: 8 + depth * 16 }}
              onClick={() => onSelect(step.id)}
            >
              <StatusBadge status={step.status} iconOnly />
              <span className="step-name" title={step.name}>
                {step.name}
              </span>
              <span className="step-duration">{formatDuration(elapsed)}</span>
            </button>
            {step.error !== null && (
              <div
                className="step-error error-text"
                style={{ paddingLeft: 28 + depth * 16 }}
                title={step.error}
              >
                {step.error}
              </div>
            )}
            {byStep.has(step.id) && (
              <StepAnnotations annotations={byStep.get(step.id) ?? []} indent={28 + depth * 16} />
            )}
            {rerunFrom && step.status === 'failed' && !step.implicit && (
              <div className="step-rerun" style={{ paddingLeft: 28 + depth * 16 }}>
                <button
                  type="button"
                  className="button"
                  title={`Start a new run of this script with STEPFLOW_RESUME_FROM=${step.name}`}
                  disabled={rerunFrom.pending}
                  onClick={() => rerunFrom.start(step.name)}
                >
                  Re-run from here
                </button>
              </div>
            )}
            {fraction !== null && (
              <div className="step-progress" style={{ paddingLeft: 28 + depth * 16 }}>
                <ProgressBar fraction={fraction} label={`${step.name} progress`} />
              </div>
            )}
          </li>
        );
      })}
    </ol>
  );
}
