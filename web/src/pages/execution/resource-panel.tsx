import type { ExecutionDetail, ResourceSample } from '../../api/types.js';
import { ResourceChart } from '../../components/resource-chart.js';
import { useResourceSamples } from '../../features/execution/use-resource-samples.js';
import { formatBytes } from '../../format.js';
import { isTerminal } from '../../api/execution-status.js';

/** CPU and memory of the process tree: peaks, and the chart (history, then live samples). */
export function ResourcePanel({
  execution,
  liveSamples,
}: {
  execution: ExecutionDetail;
  liveSamples: readonly ResourceSample[];
}) {
  const ended = isTerminal(execution.status);
  const { samples, error } = useResourceSamples(execution.id, liveSamples, ended);
  const peaks = execution.resources;
  return (
    <section className="card resources" aria-label="Resources">
      <div className="card-header">
        CPU / memory
        {peaks && (
          <span className="muted resource-peaks">
            peak {peaks.cpuPercentPeak.toFixed(0)}% · {formatBytes(peaks.memoryBytesPeak)} ·{' '}
            {peaks.processCountPeak} {peaks.processCountPeak === 1 ? 'process' : 'processes'}
          </span>
        )}
      </div>
      <div className="resource-body">
        {error ? (
          <p className="error-text" role="alert">
            Could not load samples: {error.message}
          </p>
        ) : (
          <ResourceChart
            samples={samples}
            originMs={execution.startedAt ? Date.parse(execution.startedAt) : null}
            height={150}
            emptyText={ended ? 'no samples (run shorter than 1 s)' : 'waiting for the first sample…'}
          />
        )}
      </div>
    </section>
  );
}
