import type { EnvironmentJson } from './use-environments.js';

type State = EnvironmentJson['state'];

// Exhaustive: a new state fails the type check until it has a label.
const LABELS: Record<State, string> = {
  new: 'not built',
  building: 'building',
  ready: 'ready',
  failed: 'failed',
};

/** An environment's state, coloured like run statuses (a spinner while it builds). */
export function EnvironmentStateBadge({ state }: { state: State }) {
  return (
    <span className="environment-state" data-state={state}>
      {state === 'building' && <span className="spinner" aria-hidden="true" />}
      {LABELS[state]}
    </span>
  );
}
