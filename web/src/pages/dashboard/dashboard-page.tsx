import { useSearchParams } from 'react-router';
import { PageHeader } from '../../components/page-header.js';
import { useExecutionsFeed } from '../../features/executions-list/use-executions-feed.js';
import { ActiveExecutions } from './active-executions.js';
import { RecentExecutions } from './recent-executions.js';
import { StatsCharts } from './stats-charts.js';
import { StatusSummary } from './status-summary.js';
import { useStats } from './use-stats.js';
import './dashboard.css';

const RANGES = [
  { days: 1, label: 'Last 24 hours' },
  { days: 2, label: 'Last 48 hours' },
  { days: 7, label: 'Last 7 days' },
  { days: 14, label: 'Last 14 days' },
  { days: 30, label: 'Last 30 days' },
  { days: 90, label: 'Last 90 days' },
];
const DEFAULT_DAYS = 14;

export function DashboardPage() {
  const [params, setParams] = useSearchParams();
  const days = RANGES.find((r) => String(r.days) === params.get('days'))?.days ?? DEFAULT_DAYS;
  const stats = useStats(days);
  const feed = useExecutionsFeed();
  const live = feed.connected
    ? {
        running: feed.active.filter((e) => e.status === 'running').length,
        queued: feed.active.filter((e) => e.status === 'queued').length,
      }
    : null;

  return (
    <div className="page dashboard">
      <PageHeader title="Dashboard">
        <label className="range-picker">
          <span className="visually-hidden">Time range</span>
          <select
            value={days}
            onChange={(event) =>
              setParams(event.target.value === String(DEFAULT_DAYS) ? {} : { days: event.target.value }, {
                replace: true,
              })
            }
          >
            {RANGES.map((r) => (
              <option key={r.days} value={r.days}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </PageHeader>

      {stats.error ? (
        <p className="error-text" role="alert">
          Cannot load the statistics: {stats.error.message}
        </p>
      ) : null}
      {stats.data ? (
        <>
          <StatusSummary byStatus={stats.data.byStatus} live={live} />
          <StatsCharts stats={stats.data} />
        </>
      ) : (
        !stats.error && <p className="muted">Loading statistics…</p>
      )}

      <div className="dashboard-lists">
        <ActiveExecutions executions={feed.active} connected={feed.connected} />
        <RecentExecutions />
      </div>
    </div>
  );
}
