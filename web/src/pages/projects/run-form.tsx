import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { apiFetch } from '../../api/client.js';
import type { Execution } from '../../api/types.js';
import { LIST_QUERY_ROOTS } from '../../features/executions-list/use-executions-feed.js';

/**
 * Starts a run in the project (a copy of its current version; docs/WORKSPACE.md) and opens its
 * page. The command starts as the open file's (`defaultCommand`); the run's working directory is
 * the project's root. Unsaved edits are not in the version, so Run waits for a save.
 */
export function RunForm({
  project,
  defaultCommand,
  unsaved,
}: {
  project: string;
  defaultCommand: string;
  unsaved: boolean;
}) {
  const [command, setCommand] = useState(defaultCommand);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const start = useMutation({
    mutationFn: (body: { command: string; project: string }) =>
      apiFetch<Execution>('/api/executions', { method: 'POST', body }),
    onSuccess: async (execution) => {
      for (const root of LIST_QUERY_ROOTS) void queryClient.invalidateQueries({ queryKey: [root] });
      await navigate(`/executions/${execution.id}`);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    start.mutate({ command, project });
  };
  return (
    <form className="card project-run" aria-label="Run in project" onSubmit={submit}>
      <label htmlFor="project-run-command">Run in {project}</label>
      <input
        id="project-run-command"
        className="mono"
        value={command}
        spellCheck={false}
        autoComplete="off"
        placeholder="sh build.sh"
        onChange={(event) => setCommand(event.target.value)}
      />
      <button
        type="submit"
        className="button primary"
        disabled={command.trim() === '' || unsaved || start.isPending}
        title={unsaved ? 'Save first: a run uses the saved version' : undefined}
      >
        Run
      </button>
      {unsaved && <span className="muted">Save first: a run uses the saved version.</span>}
      {start.error && (
        <p className="error-text project-run-error" role="alert">
          {start.error.message}
        </p>
      )}
    </form>
  );
}
