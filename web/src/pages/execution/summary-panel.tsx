import type { ExecutionDetail } from '../../api/types.js';
import { useExecutionSummary } from '../../features/execution/use-execution-summary.js';
import { MarkdownView } from './markdown-view.js';

/**
 * What the script wrote to `$STEPFLOW_STEP_SUMMARY`: the run's whole summary, then each step's
 * share (folded: it repeats part of the run's) when more than one step wrote some. The text is
 * fetched apart from the execution (see use-execution-summary.ts).
 */
export function SummaryPanel({ execution }: { execution: ExecutionDetail }) {
  const summary = useExecutionSummary(execution);
  if (!execution.hasSummary) return null;
  const names = new Map(execution.steps.map((step) => [step.id, step.name]));
  const steps = summary?.steps ?? [];
  return (
    <section className="card summary-panel" aria-label="Summary">
      <div className="card-header">Summary</div>
      {summary?.summary == null ? (
        <p className="muted panel-empty">Loading…</p>
      ) : (
        <>
          <MarkdownView markdown={summary.summary} />
          {steps.length > 1 &&
            steps.map((step) => (
              <details key={step.stepId} className="step-summary" data-step-id={step.stepId}>
                <summary>
                  Step <strong>{names.get(step.stepId) ?? `#${step.stepId}`}</strong>
                </summary>
                <MarkdownView markdown={step.summary} />
              </details>
            ))}
        </>
      )}
    </section>
  );
}

/** `$STEPFLOW_OUTPUT` / `::set-output` values, by name. */
export function OutputList({ execution }: { execution: ExecutionDetail }) {
  const outputs = Object.entries(execution.outputs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (outputs.length === 0) return null;
  return (
    <section className="card output-list" aria-label="Outputs">
      <div className="card-header">
        Outputs <span className="muted">({outputs.length})</span>
      </div>
      <div className="table-scroll">
        <table className="data">
          <thead>
            <tr>
              <th>Name</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            {outputs.map(([name, value]) => (
              <tr key={name}>
                <td className="mono">{name}</td>
                <td>
                  <pre className="output-value">{value}</pre>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
