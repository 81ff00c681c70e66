import { useState, type ReactNode } from 'react';
import type { ExecutionDetail, RunningLate } from '../../api/types.js';
import { StatusBadge } from '../../components/status-badge.js';
import { elapsedMs, progressFraction } from '../../features/execution/step-progress.js';
import type { ExecutionActions } from '../../features/execution/use-execution-actions.js';
import type { ExecutionEstimates } from '../../features/execution/use-estimates.js';
import { formatDateTime, formatDuration } from '../../format.js';
import { useConnectionState } from '../../live/live-context.js';
import { isActive, isFailure } from '../../api/execution-status.js';
import { ProgressBar } from '../../components/progress-bar.js';
import { lateByThreshold } from '../../features/execution/late-state.js';
import { LateBadge } from './late-badge.js';
import { RerunChain } from './rerun-chain.js';
import { useCan } from '../../app/session.js';

interface Props {
  execution: ExecutionDetail;
  now: number;
  estimates: ExecutionEstimates | undefined;
  liveError: string | null;
  /** The job scheduler called the run late (live only; the fixed threshold is checked here too). */
  late: RunningLate | null;
  /** Shared with the steps' "Re-run from here", so one error line and one pending state serve both. */
  actions: ExecutionActions;
}

/** Name, status, actions and the facts of the run (how it ended, how long, when, where). */
export function ExecutionHeader({ execution, now, estimates, liveError, late, actions }: Props) {
  const { cancel, rerun, pin } = actions;
  const canRun = useCan('runs:write');
  const active = isActive(execution.status);
  // The last pin or unpin answered wins over a snapshot that may predate it.
  const pinned = pin.data !== undefined ? pin.data.pinned === true : execution.pinned === true;
  const elapsed = elapsedMs(execution.startedAt, execution.durationMs, execution.endedAt, now);
  // The run's own estimate (META:ESTIMATED_DURATION outside steps), else the last good run's.
  const expectedMs =
    execution.estimatedDurationSeconds !== null
      ? execution.estimatedDurationSeconds * 1000
      : (estimates?.totalMs ?? null);
  const fraction =
    execution.status === 'running' && elapsed !== null ? progressFraction(elapsed, expectedMs) : null;
  // The scheduler's word (percentile) while watched, else the run's own threshold against the clock.
  const lateNow = late ?? lateByThreshold(execution, now);
  const tags = Object.entries(execution.tags);
  const meta = Object.entries(execution.meta);

  return (
    <header className="card execution-header">
      <div className="execution-title">
        <StatusBadge status={execution.status} />
        <h1 title={execution.name}>{execution.name}</h1>
        <LateBadge late={lateNow} jobRun={execution.jobId !== null} />
        <LiveState running={active} />
        <div className="execution-actions">
          {canRun && active && (
            <button
              type="button"
              className="button danger"
              disabled={cancel.isPending || cancel.isSuccess}
              onClick={() => cancel.mutate()}
            >
              {cancel.isPending || cancel.isSuccess ? 'Cancelling…' : 'Cancel'}
            </button>
          )}
          {canRun && (
            <button
              type="button"
              className="button"
              disabled={rerun.isPending}
              onClick={() => rerun.mutate(undefined)}
            >
              {rerun.isPending ? 'Starting…' : 'Re-run'}
            </button>
          )}
          {canRun && (
            <button
              type="button"
              className="button"
              aria-pressed={pinned}
              title={pinned ? 'Retention may expire this run again' : 'Retention never expires a pinned run'}
              disabled={pin.isPending}
              onClick={() => pin.mutate(!pinned)}
            >
              {pinned ? 'Unpin' : 'Pin'}
            </button>
          )}
        </div>
      </div>
      <CommandLine command={execution.command} />
      <RerunChain execution={execution} />
      <dl className="execution-facts">
        <Fact label="Result">
          <ResultText execution={execution} />
        </Fact>
        <Fact label="Duration">
          <span className="execution-duration">{formatDuration(elapsed)}</span>
          {fraction !== null && expectedMs !== null && elapsed !== null && (
            <span className="muted execution-estimate">
              {' '}
              of ~{formatDuration(expectedMs)} ·{' '}
              {elapsed < expectedMs ? `~${formatDuration(expectedMs - elapsed)} left` : 'over estimate'}
            </span>
          )}
          {fraction !== null && <ProgressBar fraction={fraction} label="Execution progress" />}
        </Fact>
        <Fact label="Created">{formatDateTime(execution.createdAt)}</Fact>
        {execution.createdBy !== undefined && <Fact label="Started by">{execution.createdBy}</Fact>}
        <Fact label="Started">{formatDateTime(execution.startedAt)}</Fact>
        <Fact label="Ran on">
          {execution.owner ? `${execution.owner.host} · pid ${execution.owner.pid}` : '–'}
        </Fact>
        {execution.worker !== undefined && (
          <Fact label="Worker">
            {execution.worker.name} · attempt {execution.worker.attempt}
          </Fact>
        )}
        {execution.runsOn !== undefined && execution.runsOn.length > 0 && (
          <Fact label="Runs on">{execution.runsOn.join(', ')}</Fact>
        )}
        {execution.waitingFor !== undefined && (
          <Fact label="Waiting">
            <span className="warning-text">{execution.waitingFor}</span>
          </Fact>
        )}
        <Fact label="Directory">
          <span className="mono" title={execution.cwd}>
            {execution.cwd}
          </span>
        </Fact>
        {/* 0 and '' are what remote runs reported before they sent nulls: nothing to show. */}
        {execution.timeoutSeconds !== null && execution.timeoutSeconds > 0 && (
          <Fact label="Timeout">{formatDuration(execution.timeoutSeconds * 1000)}</Fact>
        )}
        {execution.limits !== null && <Fact label="Limits">{describeLimits(execution.limits)}</Fact>}
        {pinned && <Fact label="Retention">pinned: never expires</Fact>}
        {execution.logExpiredAt !== undefined && (
          <Fact label="Log">dropped by retention on {formatDateTime(execution.logExpiredAt)}</Fact>
        )}
      </dl>
      {(tags.length > 0 || meta.length > 0) && (
        <ul className="chips" aria-label="Tags and meta">
          {tags.map(([key, value]) => (
            <li key={`tag:${key}`} className="chip" title="tag">
              {value === '' ? key : `${key}=${value}`}
            </li>
          ))}
          {meta.map(([key, value]) => (
            <li key={`meta:${key}`} className="chip chip-meta" title={`meta ${key}: ${value}`}>
              <span className="muted">{key}:</span> {value}
            </li>
          ))}
        </ul>
      )}
      {execution.error !== null && execution.error !== '' && !isFailure(execution.status) && (
        // Failures show theirs in the summary below; this is e.g. why a run was cancelled.
        <p className="execution-error muted">{execution.error}</p>
      )}
      {cancel.error && (
        <p className="error-text" role="alert">
          Cancel failed: {cancel.error.message}
        </p>
      )}
      {pin.error && (
        <p className="error-text" role="alert">
          Pin failed: {pin.error.message}
        </p>
      )}
      {rerun.error && (
        <p className="error-text" role="alert">
          Re-run failed: {rerun.error.message}
        </p>
      )}
      {liveError && (
        <p className="error-text" role="alert">
          Live updates stopped: {liveError}
        </p>
      )}
    </header>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** How the run ended, in the most specific terms known. */
function ResultText({ execution }: { execution: ExecutionDetail }) {
  const parts: string[] = [];
  if (execution.exitCode !== null) parts.push(`exit code ${execution.exitCode}`);
  if (execution.signal !== null && execution.signal !== '') parts.push(`signal ${execution.signal}`);
  if (parts.length === 0) parts.push(isActive(execution.status) ? execution.status : '–');
  return <span className="execution-result">{parts.join(', ')}</span>;
}

/** The command in one truncated line; the full text on hover and on "expand". */
function CommandLine({ command }: { command: string }) {
  const [expanded, setExpanded] = useState(false);
  return (
    <div className="execution-command" data-expanded={expanded}>
      <code title={command}>{command}</code>
      <button
        type="button"
        className="button ghost"
        aria-expanded={expanded}
        aria-label={expanded ? 'Collapse the command' : 'Show the whole command'}
        onClick={() => setExpanded(!expanded)}
      >
        {expanded ? '▴' : '▾'}
      </button>
    </div>
  );
}

/** While the run is live: whether updates are flowing (the top bar says so too, for every page). */
function LiveState({ running }: { running: boolean }) {
  const state = useConnectionState();
  if (!running) return null;
  return (
    <span className="live-state" data-state={state}>
      {state === 'open' ? '● live' : state === 'reconnecting' ? 'reconnecting…' : 'connecting…'}
    </span>
  );
}

/** "memory 512 MB · CPU 50% · 100,000 lines · 100 MB of log (fail)": what the run was limited to. */
function describeLimits(limits: NonNullable<ExecutionDetail['limits']>): string {
  const mb = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
  return [
    limits.memoryLimitMb !== undefined ? `memory ${limits.memoryLimitMb} MB` : null,
    limits.cpuLimitPercent !== undefined ? `CPU ${limits.cpuLimitPercent}%` : null,
    limits.maxLines !== undefined ? `${limits.maxLines.toLocaleString('en-US')} lines` : null,
    limits.maxLogBytes !== undefined ? `${mb(limits.maxLogBytes)} of log` : null,
    limits.logLimitPolicy === 'fail' ? 'log over: fail' : null,
  ]
    .filter(Boolean)
    .join(' · ');
}
