import './job-state.css';

/** "active" or "paused" as a small pill (the job list and the job page). */
export function JobState({ enabled }: { enabled: boolean }) {
  return (
    <span className="job-state" data-enabled={enabled}>
      {enabled ? 'active' : 'paused'}
    </span>
  );
}
