import { useState, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import type { Job } from '../../api/types.js';
import { TagList } from '../../components/tag-list.js';
import { FireTimes } from '../../features/jobs/fire-times.js';
import { MISSED_FIRE_TEXT, OVERLAP_TEXT } from '../../features/jobs/job-policies.js';
import { describeRetention } from '../../features/jobs/describe-retention.js';
import { triggerText } from '../../features/jobs/trigger-text.js';
import { PauseResumeButton } from '../../features/jobs/pause-resume-button.js';
import { useJobActions } from '../../features/jobs/use-job-actions.js';
import { formatDuration } from '../../format.js';
import { JobState } from './job-state.js';
import { useCan } from '../../app/session.js';

/** Name, state and actions of a job, what it runs and when, and its next five fire times. */
export function JobHeader({ job, now, successText }: { job: Job; now: number; successText: string }) {
  const { runNow, pause, resume, remove } = useJobActions(job.id);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const navigate = useNavigate();
  const canEdit = useCan('jobs:write');
  const actionError = [runNow, pause, resume, remove].find((m) => m.error)?.error;
  const zones = new Set(job.triggers.map((t) => t.timezone).filter((z) => z !== undefined));
  // One zone for all cron triggers: show the times there too. Mixed zones: the browser's only.
  const zone = zones.size === 1 && job.triggers.every((t) => t.kind === 'cron') ? [...zones][0] : undefined;

  return (
    <header className="card job-header">
      <div className="job-title">
        <h1 title={job.name}>{job.name}</h1>
        <JobState enabled={job.enabled} />
        {canEdit && (
          <div className="job-actions">
            <button
              type="button"
              className="button"
              disabled={runNow.isPending}
              onClick={() => runNow.mutate()}
            >
              {runNow.isPending ? 'Starting…' : 'Run now'}
            </button>
            <PauseResumeButton enabled={job.enabled} pause={pause} resume={resume} />
            <Link className="button" to={`/jobs/${job.id}/edit`}>
              Edit
            </Link>
            {confirmDelete ? (
              <span className="confirm-delete" role="group" aria-label="Confirm delete">
                <span>Delete this job and its history?</span>
                <button
                  type="button"
                  className="button danger"
                  disabled={remove.isPending}
                  onClick={() => remove.mutate(undefined, { onSuccess: () => void navigate('/jobs') })}
                >
                  Yes, delete
                </button>
                <button type="button" className="button" onClick={() => setConfirmDelete(false)}>
                  Keep
                </button>
              </span>
            ) : (
              <button type="button" className="button danger" onClick={() => setConfirmDelete(true)}>
                Delete
              </button>
            )}
          </div>
        )}
      </div>
      {actionError ? (
        <p className="error-text" role="alert">
          {actionError.message}
        </p>
      ) : null}
      <div className="job-header-body">
        <dl className="job-facts">
          {job.pipeline !== null ? (
            <Fact label="Pipeline">
              <Link to={`/pipelines/saved/${encodeURIComponent(job.pipeline)}`} data-testid="job-pipeline">
                {job.pipeline}
              </Link>
            </Fact>
          ) : (
            <Fact label="Command">
              <code className="job-command" title={job.command ?? job.argv?.join(' ')}>
                {job.command ?? job.argv?.join(' ')}
              </code>
            </Fact>
          )}
          <Fact label="Directory">
            <span className="mono">{job.cwd}</span>
          </Fact>
          {job.runsOn.length > 0 ? (
            <Fact label="Runs on">
              <span className="mono" data-testid="job-runs-on">
                workers with {job.runsOn.join(', ')}
              </span>
            </Fact>
          ) : null}
          <Fact label="Triggers">
            {job.triggers.length === 0 ? (
              'manual only'
            ) : (
              <ul className="trigger-list">
                {job.triggers.map((t) => (
                  <li key={t.id}>{triggerText(t)}</li>
                ))}
              </ul>
            )}
          </Fact>
          <Fact label="Success rate">{successText}</Fact>
          <Fact label="Active runs">
            {job.activeRuns} · <Link to="/">queue on the dashboard</Link>
          </Fact>
          <Fact label="Policies">
            overlap {OVERLAP_TEXT[job.overlap].label.toLowerCase()}
            {job.maxConcurrentRuns !== null ? ` (max ${job.maxConcurrentRuns})` : ''} · missed fires{' '}
            {MISSED_FIRE_TEXT[job.missedFire].label.toLowerCase()} ·{' '}
            {job.retry.maxAttempts > 1 ? `${job.retry.maxAttempts} attempts` : 'no retry'}
            {job.retryOnLost ? ' · a lost run starts again once' : ''}
            {job.timeoutSeconds !== null ? ` · timeout ${formatDuration(job.timeoutSeconds * 1000)}` : ''}
            {job.lateAfterSeconds !== null
              ? ` · late after ${formatDuration(job.lateAfterSeconds * 1000)}`
              : ''}
          </Fact>
          <Fact label="Retention">{describeRetention(job.retention)}</Fact>
          {job.envNames.length > 0 ? (
            <Fact label="Environment">
              <span className="mono">{job.envNames.join(', ')}</span>
            </Fact>
          ) : null}
          {Object.keys(job.tags).length > 0 ? (
            <Fact label="Tags">
              <TagList tags={job.tags} />
            </Fact>
          ) : null}
        </dl>
        <section className="job-upcoming" aria-label="Next fire times">
          <h2>Next fire times</h2>
          {job.upcoming.length === 0 ? (
            <p className="muted">{job.enabled ? 'None planned.' : 'Paused: nothing planned.'}</p>
          ) : (
            <FireTimes times={job.upcoming} timeZone={zone} now={now} label="Next fire times" />
          )}
        </section>
      </div>
    </header>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="job-fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
