import { useState } from 'react';
import { Link } from 'react-router';
import { useCan } from '../../app/session.js';
import { PageHeader } from '../../components/page-header.js';
import { QueryState } from '../../components/query-state.js';
import { formatAgo } from '../../format.js';
import { EnvironmentForm } from './environment-form.js';
import { EnvironmentStateBadge } from './environment-state-badge.js';
import { useEnvironmentActions, useEnvironments, type EnvironmentJson } from './use-environments.js';
import './environments.css';

/**
 * Python environments (docs/WORKSPACE-ENVIRONMENTS.md): their state, polled while one builds;
 * operators create and edit specs, build (the build is a run: its page shows the log live),
 * reset a stuck one and delete.
 */
export function EnvironmentsPage() {
  const list = useEnvironments();
  const actions = useEnvironmentActions();
  const canWrite = useCan('runs:write');
  /** The form shown: a new environment, one being edited, or none. */
  const [form, setForm] = useState<{ editing?: EnvironmentJson } | null>(null);
  const [started, setStarted] = useState<{ name: string; executionId: string } | null>(null);
  const failure = actions.build.error ?? actions.reset.error ?? actions.remove.error;
  const save = form?.editing ? actions.update : actions.create;

  const closeForm = () => {
    actions.create.reset();
    actions.update.reset();
    setForm(null);
  };
  const build = (name: string) =>
    actions.build.mutate(name, {
      onSuccess: ({ execution }) => setStarted({ name, executionId: execution.id }),
    });

  return (
    <div className="page environments">
      <PageHeader
        title="Environments"
        actions={
          canWrite && form === null ? (
            <button type="button" className="button primary" onClick={() => setForm({})}>
              New environment
            </button>
          ) : null
        }
      />
      <p className="muted">
        Python environments runs and jobs can name: each host builds its own copy, from the index in{' '}
        <Link to="/settings">Settings</Link>.
      </p>
      {form !== null && (
        <EnvironmentForm
          key={form.editing?.name ?? ''}
          editing={form.editing}
          pending={save.isPending}
          error={save.error}
          onCancel={closeForm}
          onSubmit={(name, input) => {
            const done = { onSuccess: closeForm };
            if (form.editing) actions.update.mutate({ name: form.editing.name, input }, done);
            else actions.create.mutate({ name, ...input }, done);
          }}
        />
      )}
      {started !== null && (
        <p className="card environment-notice" role="status">
          Build of <strong>{started.name}</strong> started:{' '}
          <Link to={`/executions/${started.executionId}`}>view its log</Link>
        </p>
      )}
      {failure && (
        <p className="form-error" role="alert">
          {failure.message}
        </p>
      )}
      <div className="card">
        <QueryState error={list.error} items={list.data?.environments} inCard empty="No environments yet.">
          {(environments) => (
            <div className="table-scroll">
              <table className="data environments-table">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>State</th>
                    <th>Interpreter</th>
                    <th>Requirements</th>
                    <th>Last build</th>
                    <th>Changed</th>
                    {canWrite && <th />}
                  </tr>
                </thead>
                <tbody>
                  {environments.map((environment) => (
                    <tr key={environment.name} data-environment={environment.name}>
                      <td>{environment.name}</td>
                      <td>
                        <EnvironmentStateBadge state={environment.state} />
                      </td>
                      <td className="mono">{environment.interpreter}</td>
                      <td
                        className="mono environment-requirements"
                        title={environment.requirements.join('\n')}
                      >
                        {environment.requirements.join(', ') || '—'}
                      </td>
                      <td>
                        {environment.lastBuildId === null ? (
                          '—'
                        ) : (
                          <Link to={`/executions/${environment.lastBuildId}`}>build log</Link>
                        )}
                      </td>
                      <td title={environment.updatedAt}>{formatAgo(environment.updatedAt)}</td>
                      {canWrite && (
                        <td>
                          <div className="environment-actions">
                            <button
                              type="button"
                              className="button"
                              disabled={actions.build.isPending || environment.state === 'building'}
                              onClick={() => build(environment.name)}
                            >
                              Build
                            </button>
                            <button
                              type="button"
                              className="button"
                              onClick={() => setForm({ editing: environment })}
                            >
                              Edit
                            </button>
                            <button
                              type="button"
                              className="button"
                              onClick={() => {
                                if (
                                  window.confirm(
                                    `Reset ${environment.name}? A build still running is cancelled, this host's copy is deleted and every host builds it afresh next time.`,
                                  )
                                ) {
                                  actions.reset.mutate(environment.name);
                                }
                              }}
                            >
                              Reset
                            </button>
                            <button
                              type="button"
                              className="button danger"
                              onClick={() => {
                                if (
                                  window.confirm(
                                    `Delete ${environment.name}? Runs and jobs naming it are refused from now on.`,
                                  )
                                ) {
                                  actions.remove.mutate(environment.name);
                                }
                              }}
                            >
                              Delete
                            </button>
                          </div>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </QueryState>
      </div>
    </div>
  );
}
