/** Pause for an enabled job, Resume for a paused one. `name` labels it for screen readers in lists. */
export function PauseResumeButton({
  enabled,
  pause,
  resume,
  name,
}: {
  enabled: boolean;
  pause: { isPending: boolean; mutate: () => void };
  resume: { isPending: boolean; mutate: () => void };
  name?: string;
}) {
  const action = enabled ? pause : resume;
  const verb = enabled ? 'Pause' : 'Resume';
  return (
    <button
      type="button"
      className="button"
      disabled={action.isPending}
      onClick={() => action.mutate()}
      aria-label={name === undefined ? undefined : `${verb} ${name}`}
    >
      {verb}
    </button>
  );
}
