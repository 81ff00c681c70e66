import { Link, useParams } from 'react-router';
import { useNow } from '../../components/use-now.js';
import { DurationTrendChart } from '../../features/jobs/duration-trend-chart.js';
import {
  useJob,
  useJobDeliveries,
  useJobHistory,
  useJobPipelineRuns,
  useJobRuns,
} from '../../features/jobs/job-queries.js';
import { successRate } from '../../features/jobs/run-chains.js';
import { useJobLiveRefresh } from '../../features/jobs/use-job-live-refresh.js';
import { usePendingRetries } from '../../features/jobs/use-pending-retries.js';
import { FireHistory } from './fire-history.js';
import { JobHeader } from './job-header.js';
import { JobPipelineRuns } from './job-pipeline-runs.js';
import { JobRuns } from './job-runs.js';
import { JobUnavailable } from './job-unavailable.js';
import { StepComparisonPanel } from './step-comparison-panel.js';
import { WebhookDeliveries } from './webhook-deliveries.js';
import './job-page.css';

/** Attempts loaded for the runs table, the success rate and the duration trend. */
const RUNS = 100;

/**
 * One job: what and when, its runs and waiting retries live, how they trend, fire history and
 * webhook deliveries.
 */
export function JobPage() {
  const { id = '' } = useParams();
  const job = useJob(id);
  const runs = useJobRuns(id, RUNS);
  const pipelineRuns = useJobPipelineRuns(id, job.data?.pipeline != null);
  const history = useJobHistory(id);
  const deliveries = useJobDeliveries(id);
  useJobLiveRefresh(id);
  const waiting = usePendingRetries(id, job.data?.pendingRetries);
  // Relative fire times ("in 3s") tick.
  const now = useNow(true);

  if (job.error) return <JobUnavailable title="Job" error={job.error} />;
  if (job.data === undefined) return <p className="page muted">Loading…</p>;

  const items = runs.data?.items ?? [];
  const rate = successRate(items);
  const successText =
    rate.rate === null
      ? '–'
      : `${Math.round(rate.rate * 100)}% (${rate.succeeded} of ${rate.ended} ${rate.ended === 1 ? 'run' : 'runs'})`;

  const pipeline = job.data.pipeline;
  if (pipeline !== null) {
    // A pipeline job: its attempts are pipeline runs; its nodes' executions are the pipeline's.
    return (
      <div className="page job-page">
        <nav className="breadcrumb" aria-label="Breadcrumb">
          <Link to="/jobs">Jobs</Link> / <span>{job.data.name}</span>
        </nav>
        <JobHeader job={job.data} now={now} successText="–" />
        <JobPipelineRuns
          pipeline={pipeline}
          runs={pipelineRuns.data?.items}
          error={pipelineRuns.error}
          maxAttempts={job.data.retry.maxAttempts}
          waiting={waiting}
          now={now}
        />
        <div className="job-logs">
          <FireHistory fires={history.data?.items} error={history.error} />
          <WebhookDeliveries deliveries={deliveries.data?.items} error={deliveries.error} />
        </div>
      </div>
    );
  }

  return (
    <div className="page job-page">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/jobs">Jobs</Link> / <span>{job.data.name}</span>
      </nav>
      <JobHeader job={job.data} now={now} successText={successText} />
      {runs.error ? (
        <p className="error-text" role="alert">
          {runs.error.message}
        </p>
      ) : null}
      <div className="job-charts">
        <section className="card" aria-labelledby="duration-trend-heading">
          <h2 className="card-header" id="duration-trend-heading">
            Duration trend
          </h2>
          <DurationTrendChart runs={items} />
        </section>
        <StepComparisonPanel runs={items} />
      </div>
      <JobRuns
        runs={items}
        maxAttempts={job.data.retry.maxAttempts}
        more={runs.data?.nextCursor != null}
        waiting={waiting}
        now={now}
      />
      <div className="job-logs">
        <FireHistory fires={history.data?.items} error={history.error} />
        <WebhookDeliveries deliveries={deliveries.data?.items} error={deliveries.error} />
      </div>
    </div>
  );
}
