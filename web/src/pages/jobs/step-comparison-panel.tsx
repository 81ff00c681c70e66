import { useState } from 'react';
import type { Execution } from '../../api/types.js';
import { formatDateTime, formatDuration } from '../../format.js';
import { compareSteps, type StepVerdict } from '../../features/jobs/step-comparison.js';
import { useRunDetails } from '../../features/jobs/use-run-details.js';

/** Runs fetched in detail for the comparison (one request each, kept once ended). */
const MAX_RUNS = 20;

const VERDICT: Record<StepVerdict, { label: string; title: string }> = {
  slower: { label: '▲ slower', title: 'At least 25 % and 250 ms slower than its median' },
  faster: { label: '▼ faster', title: 'At least 25 % and 250 ms faster than its median' },
  same: { label: '≈ usual', title: 'Within the usual range' },
  new: { label: 'new', title: 'No other recent run had this step' },
  unfinished: { label: '–', title: 'The step did not end' },
};

/**
 * Each step of one run (the latest ended, or the one picked) against the same step's median over
 * the other recent ended runs: which step got slower.
 */
export function StepComparisonPanel({ runs }: { runs: readonly Execution[] }) {
  const ended = runs.filter((run) => run.endedAt !== null).slice(0, MAX_RUNS);
  const [picked, setPicked] = useState<string | null>(null);
  const selectedId = ended.some((run) => run.id === picked) ? picked : (ended[0]?.id ?? null);
  const { details, error } = useRunDetails(ended.map((run) => run.id));
  const selected = details?.find((d) => d.id === selectedId);
  const rows = selected ? compareSteps(selected, details?.filter((d) => d.id !== selectedId) ?? []) : [];
  const slower = rows.filter((row) => row.verdict === 'slower').length;

  return (
    <section className="card step-comparison" aria-labelledby="step-comparison-heading">
      <h2 className="card-header" id="step-comparison-heading">
        Step durations against their median
        {ended.length > 0 ? (
          <label className="card-header-control">
            <span className="visually-hidden">Run to compare</span>
            <select value={selectedId ?? ''} onChange={(event) => setPicked(event.target.value)}>
              {ended.map((run, i) => (
                <option key={run.id} value={run.id}>
                  {i === 0 ? 'Latest: ' : ''}
                  {formatDateTime(run.startedAt ?? run.createdAt)} · {run.status.replace('_', ' ')}
                </option>
              ))}
            </select>
          </label>
        ) : null}
      </h2>
      {error ? (
        <p className="empty error-text" role="alert">
          {error.message}
        </p>
      ) : ended.length === 0 ? (
        <p className="empty muted">No ended runs yet.</p>
      ) : selected === undefined ? (
        <p className="empty muted">Loading…</p>
      ) : rows.length === 0 ? (
        <p className="empty muted">This run printed no steps.</p>
      ) : (
        <>
          <p className="step-comparison-summary muted" role="status">
            {slower === 0 ? 'No step got slower' : `${slower} ${slower === 1 ? 'step' : 'steps'} got slower`}{' '}
            than in the other {ended.length - 1} recent {ended.length - 1 === 1 ? 'run' : 'runs'}.
          </p>
          <table className="data step-comparison-table">
            <caption className="visually-hidden">Step durations against their median</caption>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col" className="num">
                  This run
                </th>
                <th scope="col" className="num">
                  Median
                </th>
                <th scope="col" className="num">
                  Change
                </th>
                <th scope="col">Verdict</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.key} data-verdict={row.verdict}>
                  <td className="step-name-cell" style={{ paddingLeft: 8 + row.depth * 14 }} title={row.key}>
                    {row.name}
                  </td>
                  <td className="num">{formatDuration(row.durationMs)}</td>
                  <td className="num" title={`over ${row.samples} other runs`}>
                    {formatDuration(row.medianMs)}
                  </td>
                  <td className="num">{change(row.durationMs, row.medianMs)}</td>
                  <td>
                    <span className="verdict" data-verdict={row.verdict} title={VERDICT[row.verdict].title}>
                      {VERDICT[row.verdict].label}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

/** "+1.2s (+240%)", "−300ms (−30%)". */
function change(durationMs: number | null, medianMs: number | null): string {
  if (durationMs === null || medianMs === null) return '–';
  const delta = durationMs - medianMs;
  const sign = delta >= 0 ? '+' : '−';
  const percent = medianMs > 0 ? ` (${sign}${Math.round((Math.abs(delta) / medianMs) * 100)}%)` : '';
  return `${sign}${formatDuration(Math.abs(delta))}${percent}`;
}
