import { lazy, Suspense } from 'react';
import type { ExecutionDetail } from '../../api/types.js';

// The Markdown renderer is a sixth of the dashboard's code: loaded only for a run with a summary.
const MarkdownView = lazy(() => import('./markdown-view.js').then((m) => ({ default: m.MarkdownView })));

/**
 * What the script wrote to `$STEPFLOW_STEP_SUMMARY`: the run's whole summary, then each step's
 * share (folded: it repeats part of the run's) when more than one step wrote some.
 */
export function SummaryPanel({ execution }: { execution: ExecutionDetail }) {
  if (execution.summary === null) return null;
  const steps = execution.steps.filter((step) => step.summary !== null);
  return (
    <section className="card summary-panel" aria-label="Summary">
      <div className="card-header">Summary</div>
      <Suspense fallback={<p className="muted panel-empty">Loading…</p>}>
        <MarkdownView markdown={execution.summary} />
        {steps.length > 1 &&
          steps.map((step) => (
            <details key={step.id} className="step-summary" data-step-id={step.id}>
              <summary>
                Step <strong>{step.name}</strong>
              </summary>
              <MarkdownView markdown={step.summary ?? ''} />
            </details>
          ))}
      </Suspense>
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
