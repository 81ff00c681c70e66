import { Link } from 'react-router';
import type { JobListItem, RunningLate } from '../../api/types.js';
import { isActive } from '../../api/execution-status.js';
import { lateByThreshold } from '../../features/execution/late-state.js';
import { useLateWarnings } from '../../features/execution/use-late-warnings.js';
import { LateBadge } from '../execution/late-badge.js';
import { PageHeader } from '../../components/page-header.js';
import { StatusBadge } from '../../components/status-badge.js';
import { useNow } from '../../components/use-now.js';
import { QueryState } from '../../components/query-state.js';
import { useJobs } from '../../features/jobs/job-queries.js';
import { RunSparkline } from '../../features/jobs/run-sparkline.js';
import { triggersText } from '../../features/jobs/trigger-text.js';
import { PauseResumeButton } from '../../features/jobs/pause-resume-button.js';
import { useJobActions } from '../../features/jobs/use-job-actions.js';
import { useJobLiveRefresh } from '../../features/jobs/use-job-live-refresh.js';
import { formatAgo, formatDateTime } from '../../format.js';
import { JobState } from './job-state.js';
import { useCan } from '../../app/session.js';
import './jobs.css';

/** Runs drawn in each job's sparkline. */
const SPARK_RUNS = 20;

/** Every job with its triggers, next fire time, last status and recent runs, live. */
export function JobsPage() {
  const jobs = useJobs(SPARK_RUNS);
  useJobLiveRefresh();
  const now = useNow(true);
  const warnings = useLateWarnings();
  const canEdit = useCan('jobs:write');
  return (
    <div className="page jobs">
      <PageHeader
        title="Jobs"
        actions={
          canEdit ? (
            <Link to="/jobs/new" className="button primary">
              New job
            </Link>
          ) : undefined
        }
      />
      <QueryState
        error={jobs.error}
        items={jobs.data?.items}
        empty={
          <>
            No jobs yet. <Link to="/jobs/new">Create one</Link> to run a command on a schedule.
          </>
        }
        emptyClassName="jobs-empty"
      >
        {(items) => (
          <div className="card jobs-table-wrap">
            <table className="data jobs-table">
              <caption className="visually-hidden">Jobs</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">State</th>
                  <th scope="col">Triggers</th>
                  <th scope="col">Next fire</th>
                  <th scope="col">Last run</th>
                  <th scope="col">Recent runs</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((job) => (
                  <JobRow key={job.id} job={job} now={now} late={lateOf(job, now, warnings)} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </div>
  );
}

/** The job's newest run is running late: by the scheduler's word, else by the job's threshold. */
function lateOf(
  job: JobListItem,
  now: number,
  warnings: ReadonlyMap<string, RunningLate>,
): RunningLate | null {
  const last = job.lastRun;
  if (last === null || !isActive(last.status)) return null;
  return (
    warnings.get(last.executionId) ??
    lateByThreshold({ ...last, lateAfterSeconds: job.lateAfterSeconds }, now)
  );
}

function JobRow({ job, now, late }: { job: JobListItem; now: number; late: RunningLate | null }) {
  const { runNow, pause, resume } = useJobActions(job.id);
  const canEdit = useCan('jobs:write');
  const triggers = triggersText(job.triggers);
  return (
    <tr data-job-id={job.id}>
      <td className="job-name-cell">
        <Link to={`/jobs/${job.id}`} title={job.name}>
          {job.name}
        </Link>
      </td>
      <td>
        <JobState enabled={job.enabled} />
      </td>
      <td className="triggers-cell" title={triggers}>
        {triggers}
      </td>
      <td className="next-fire">
        {job.nextRunAt ? (
          <time dateTime={job.nextRunAt} title={formatDateTime(job.nextRunAt)}>
            {formatAgo(job.nextRunAt, now)} <span className="muted">· {formatDateTime(job.nextRunAt)}</span>
          </time>
        ) : (
          <span className="muted">{job.enabled ? 'none' : 'paused'}</span>
        )}
      </td>
      <td className="last-run">
        {job.pipeline !== null ? (
          // A pipeline job's runs are pipeline runs, listed on its page (not executions of the job).
          <Link to={`/jobs/${job.id}`} className="muted">
            pipeline {job.pipeline}
          </Link>
        ) : job.lastRun ? (
          <Link to={`/executions/${job.lastRun.executionId}`} className="last-run-link">
            <StatusBadge status={job.lastRun.status} /> <LateBadge late={late} />{' '}
            <time
              className="muted"
              dateTime={job.lastRun.createdAt}
              title={formatDateTime(job.lastRun.createdAt)}
            >
              {formatAgo(job.lastRun.createdAt, now)}
            </time>
          </Link>
        ) : (
          <span className="muted">never</span>
        )}
      </td>
      <td>
        <RunSparkline runs={job.recentRuns ?? []} />
      </td>
      <td className="job-row-actions">
        {canEdit && (
          <>
            <button
              type="button"
              className="button"
              disabled={runNow.isPending}
              onClick={() => runNow.mutate()}
              aria-label={`Run ${job.name} now`}
            >
              Run now
            </button>
            <PauseResumeButton enabled={job.enabled} pause={pause} resume={resume} name={job.name} />
          </>
        )}
      </td>
    </tr>
  );
}
