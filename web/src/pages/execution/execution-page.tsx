import { useCallback, useMemo, useRef, useState } from 'react';
import { useParams } from 'react-router';
import type { ExecutionDetail, ResourceSample, RunningLate } from '../../api/types.js';
import { orderSteps, failedStep } from '../../features/execution/step-tree.js';
import { useEstimates } from '../../features/execution/use-estimates.js';
import { useExecutionActions } from '../../features/execution/use-execution-actions.js';
import { useExecutionLive } from '../../features/execution/use-execution-live.js';
import { useNow } from '../../components/use-now.js';
import { useStepKeyboard } from '../../features/execution/use-step-keyboard.js';
import type { LogViewerHandle } from '../../features/log/log-viewer-api.js';
import { LogViewer } from '../../features/log/log-viewer.js';
import type { LineFeed } from '../../live/line-feed.js';
import { AnnotationList } from './annotation-list.js';
import { ArtifactList } from './artifact-list.js';
import { ExecutionHeader } from './execution-header.js';
import { FailureSummary } from './failure-summary.js';
import { LimitBanner } from './limit-banner.js';
import { isFailure, isTerminal } from '../../api/execution-status.js';
import { ResourcePanel } from './resource-panel.js';
import { StepList } from './step-list.js';
import { StepTrendsPanel } from './step-trends-panel.js';
import { OutputList, SummaryPanel } from './summary-panel.js';
import { useCan } from '../../app/session.js';
import './execution-page.css';

export function ExecutionPage() {
  const { id = '' } = useParams();
  // Keyed: another execution (e.g. after Re-run) starts from a clean state, not this one's.
  return <ExecutionView key={id} id={id} />;
}

function ExecutionView({ id }: { id: string }) {
  const { execution, error, lineFeed, liveSamples, liveError, late } = useExecutionLive(id);
  if (error) {
    return (
      <div className="page">
        <h1>Execution {id}</h1>
        <p className="error-text" role="alert">
          {error.message}
        </p>
      </div>
    );
  }
  if (!execution) return <div className="page muted">Loading…</div>;
  return (
    <LoadedExecution
      execution={execution}
      lineFeed={lineFeed}
      liveSamples={liveSamples}
      liveError={liveError}
      late={late}
    />
  );
}

interface LoadedProps {
  execution: ExecutionDetail;
  lineFeed: LineFeed;
  liveSamples: readonly ResourceSample[];
  liveError: string | null;
  late: RunningLate | null;
}

/** The GitHub-Actions-like view: header, what went wrong, steps beside the log, then the outputs. */
function LoadedExecution({ execution, lineFeed, liveSamples, liveError, late }: LoadedProps) {
  const ended = isTerminal(execution.status);
  const canRun = useCan('runs:write');
  const now = useNow(!ended);
  const estimates = useEstimates(execution.id, !ended);
  const rows = useMemo(() => orderSteps(execution.steps), [execution.steps]);
  const culprit = isFailure(execution.status) ? failedStep(execution.steps) : undefined;
  const actions = useExecutionActions(execution.id);
  const log = useRef<LogViewerHandle>(null);
  const stepList = useRef<HTMLOListElement>(null);
  // A failed run starts with its failed step selected; the log viewer itself opens that step at
  // its first error line.
  const [chosen, setChosen] = useState<number | null>(null);
  const selected = chosen ?? culprit?.id ?? null;

  const reveal = useCallback((stepId: number) => {
    setChosen(stepId);
    log.current?.revealStep(stepId);
  }, []);

  useStepKeyboard({
    move(delta) {
      if (rows.length === 0) return;
      const index = rows.findIndex((row) => row.step.id === selected);
      const next = index === -1 ? (delta > 0 ? 0 : rows.length - 1) : index + delta;
      const row = rows[Math.max(0, Math.min(rows.length - 1, next))];
      if (!row) return;
      setChosen(row.step.id);
      stepList.current?.querySelector<HTMLElement>(`[data-step-id="${row.step.id}"] button`)?.focus();
    },
    reveal() {
      if (selected !== null) reveal(selected);
    },
    search() {
      log.current?.focusSearch();
    },
    inStepList: (target) => stepList.current?.contains(target) ?? false,
  });

  return (
    <div className="page execution-page">
      <ExecutionHeader
        execution={execution}
        now={now}
        estimates={estimates}
        liveError={liveError}
        late={late}
        actions={actions}
      />
      {execution.annotations.length > 0 && (
        <AnnotationList annotations={execution.annotations} steps={execution.steps} />
      )}
      <LimitBanner execution={execution} />
      {isFailure(execution.status) && (
        <FailureSummary execution={execution} step={culprit} onRevealStep={reveal} />
      )}
      <div className="execution-body">
        <aside className="card execution-steps">
          <div className="card-header">Steps</div>
          <StepList
            ref={stepList}
            rows={rows}
            annotations={execution.annotations}
            selected={selected}
            now={now}
            estimates={estimates}
            onSelect={reveal}
            {...(ended && canRun
              ? {
                  rerunFrom: {
                    start: (stepName: string) => actions.rerun.mutate(stepName),
                    pending: actions.rerun.isPending,
                  },
                }
              : {})}
          />
        </aside>
        <div className="execution-log">
          <LogViewer ref={log} execution={execution} lineFeed={lineFeed} />
        </div>
      </div>
      <SummaryPanel execution={execution} />
      <div className="execution-outputs">
        <OutputList execution={execution} />
        <ArtifactList execution={execution} />
        <ResourcePanel execution={execution} liveSamples={liveSamples} />
      </div>
      <StepTrendsPanel execution={execution} now={now} />
    </div>
  );
}
