import { formatAgo } from '../../format.js';
import { browserTimeZone, formatInZone } from './relative-time.js';
import './fire-times.css';

/**
 * Upcoming fire times as a small table: in the job's zone and, when it differs, in the browser's,
 * with how far off each is. `timeZone` undefined: the trigger has no zone (interval, one-off).
 */
export function FireTimes({
  times,
  timeZone,
  now,
  label,
}: {
  times: readonly string[];
  timeZone?: string | undefined;
  now: number;
  /** Accessible name of the table. */
  label: string;
}) {
  const local = browserTimeZone();
  const showZone = timeZone !== undefined && timeZone !== local;
  return (
    <table className="fire-times">
      <caption className="visually-hidden">{label}</caption>
      <thead>
        <tr>
          <th scope="col">In</th>
          {showZone ? <th scope="col">{timeZone}</th> : null}
          <th scope="col">Your time ({local})</th>
        </tr>
      </thead>
      <tbody>
        {times.map((iso) => (
          <tr key={iso}>
            <td className="fire-in">{formatAgo(iso, now)}</td>
            {showZone ? (
              <td>
                <time dateTime={iso}>{formatInZone(iso, timeZone)}</time>
              </td>
            ) : null}
            <td>
              <time dateTime={iso}>{formatInZone(iso)}</time>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
