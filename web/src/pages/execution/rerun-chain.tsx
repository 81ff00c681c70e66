import { Fragment } from 'react';
import { Link } from 'react-router';
import type { ExecutionDetail } from '../../api/types.js';
import { useReruns } from '../../features/execution/use-reruns.js';

/** "Re-run of <id> from step Test · re-run as <id>, <id>": where this run came from and went. */
export function RerunChain({ execution }: { execution: ExecutionDetail }) {
  const reruns = useReruns(execution.id);
  if (execution.rerunOf === null && reruns.length === 0) return null;
  return (
    <p className="rerun-chain muted">
      {execution.rerunOf !== null && (
        <span>
          Re-run of <ExecutionLink id={execution.rerunOf} />
          {execution.resumeFrom !== null && (
            <>
              {' '}
              from step <strong>{execution.resumeFrom}</strong>
            </>
          )}
        </span>
      )}
      {execution.rerunOf !== null && reruns.length > 0 && ' · '}
      {reruns.length > 0 && (
        <span>
          re-run as{' '}
          {reruns.map((rerun, index) => (
            <Fragment key={rerun.id}>
              {index > 0 && ', '}
              <ExecutionLink id={rerun.id} />
            </Fragment>
          ))}
        </span>
      )}
    </p>
  );
}

function ExecutionLink({ id }: { id: string }) {
  return (
    <Link className="mono" to={`/executions/${encodeURIComponent(id)}`}>
      {id}
    </Link>
  );
}
