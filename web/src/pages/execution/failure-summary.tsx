import type { ExecutionDetail, Step } from '../../api/types.js';
import { useLogTail } from '../../features/execution/use-log-tail.js';
import { formatDuration } from '../../format.js';

const TAIL_LINES = 10;

// Colour and cursor escapes mean nothing in this plain box; the log pane renders them.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g;

interface Props {
  execution: ExecutionDetail;
  step: Step | undefined;
  onRevealStep(stepId: number): void;
}

/** What went wrong, at a glance: the step, how the process ended, and the last lines it printed. */
export function FailureSummary({ execution, step, onRevealStep }: Props) {
  const tail = useLogTail(execution.id, execution.lineCount, true, TAIL_LINES);
  return (
    <section className="card failure-summary" aria-label="Failure summary">
      <div className="card-header">
        <span className="error-text">✗</span> {headline(execution)}
      </div>
      <div className="failure-facts">
        {step ? (
          <p>
            {execution.status === 'failed' ? 'Failed step' : 'Stopped in step'}:{' '}
            <button type="button" className="link-button" onClick={() => onRevealStep(step.id)}>
              {step.name}
            </button>
            {step.error !== null && <span className="error-text"> — {step.error}</span>}
          </p>
        ) : (
          <p className="muted">No step failed; the process itself did.</p>
        )}
        {execution.error !== null &&
          execution.error !== step?.error &&
          // The headline already says so.
          execution.error !== `exited with code ${execution.exitCode}` && (
            <p className="error-text">{execution.error}</p>
          )}
      </div>
      {execution.lineCount > 0 && (
        <div className="failure-tail">
          <div className="muted failure-tail-title">
            Last {Math.min(TAIL_LINES, execution.lineCount)} lines of the log
          </div>
          {tail.error ? (
            <p className="error-text" role="alert">
              Could not read the log: {tail.error.message}
            </p>
          ) : (
            <pre className="failure-lines" aria-label="Last lines">
              {tail.data?.lines.map((line) => (
                <div key={line.seq} className="failure-line" data-stream={line.stream}>
                  <a href={`#L${line.seq}`} className="failure-line-number">
                    {line.seq}
                  </a>
                  <span>{line.text.replace(ANSI, '')}</span>
                </div>
              ))}
            </pre>
          )}
        </div>
      )}
    </section>
  );
}

function headline(execution: ExecutionDetail): string {
  const end =
    execution.exitCode !== null
      ? `exit code ${execution.exitCode}`
      : execution.signal !== null
        ? `signal ${execution.signal}`
        : null;
  switch (execution.status) {
    case 'timed_out':
      return `Timed out${execution.timeoutSeconds !== null ? ` after ${formatDuration(execution.timeoutSeconds * 1000)}` : ''}${end ? ` (${end})` : ''}`;
    case 'interrupted':
      return 'Interrupted: the StepFlow process running it stopped';
    case 'lost':
      return `Lost: worker ${execution.worker?.name ?? '?'} stopped sending heartbeats`;
    default:
      return `Failed${end ? ` with ${end}` : ''}`;
  }
}
