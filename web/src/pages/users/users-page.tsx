import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client.js';
import { PageHeader } from '../../components/page-header.js';
import { QueryState } from '../../components/query-state.js';
import { formatAgo } from '../../format.js';
import { useUserActions, useUsers } from './use-users.js';
import './users.css';

const ROLES = ['viewer', 'operator', 'admin'] as const;

const messageOf = (error: unknown): string => (error instanceof ApiError ? error.message : String(error));

/**
 * Users, for admins (docs/USERS.md): add one with a role and a password, change a role, disable or
 * enable, remove. The server keeps the last enabled admin and says so.
 */
export function UsersPage() {
  const list = useUsers();
  const { add, update, remove } = useUserActions();
  const [name, setName] = useState('');
  const [role, setRole] = useState<string>('viewer');
  const [password, setPassword] = useState('');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const added = await add.mutateAsync({ name, role, password }).catch(() => null);
    if (added === null) return;
    setName('');
    setPassword('');
  };
  const failure = update.error ?? remove.error;

  return (
    <div className="page users">
      <PageHeader title="Users" />
      <form className="card user-form" aria-label="Add user" onSubmit={(event) => void submit(event)}>
        <label htmlFor="user-name">Name</label>
        <input id="user-name" value={name} maxLength={64} onChange={(event) => setName(event.target.value)} />
        <label htmlFor="user-role">Role</label>
        <select id="user-role" value={role} onChange={(event) => setRole(event.target.value)}>
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        <label htmlFor="user-password">Password</label>
        <input
          id="user-password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <button
          type="submit"
          className="button primary"
          disabled={name === '' || password === '' || add.isPending}
        >
          Add user
        </button>
        {add.error && (
          <p className="error-text" role="alert">
            {messageOf(add.error)}
          </p>
        )}
      </form>
      {failure && (
        <p className="error-text" role="alert">
          {messageOf(failure)}
        </p>
      )}
      <div className="card">
        <QueryState
          error={list.error}
          items={list.data?.users}
          inCard
          empty="No users: the server is open on loopback."
        >
          {(users) => (
            <table className="table users-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Role</th>
                  <th>State</th>
                  <th>Added</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {users.map((user) => (
                  <tr key={user.name} data-disabled={user.disabled ? 'true' : undefined}>
                    <td>{user.name}</td>
                    <td>
                      <select
                        aria-label={`Role of ${user.name}`}
                        value={user.role}
                        disabled={update.isPending}
                        onChange={(event) =>
                          update.mutate({ name: user.name, changes: { role: event.target.value } })
                        }
                      >
                        {ROLES.map((r) => (
                          <option key={r}>{r}</option>
                        ))}
                      </select>
                    </td>
                    <td>{user.disabled ? 'disabled' : 'active'}</td>
                    <td title={user.createdAt}>{formatAgo(user.createdAt)}</td>
                    <td className="user-actions">
                      <button
                        type="button"
                        className="button"
                        disabled={update.isPending}
                        onClick={() =>
                          update.mutate({ name: user.name, changes: { disabled: !user.disabled } })
                        }
                      >
                        {user.disabled ? 'Enable' : 'Disable'}
                      </button>
                      <button
                        type="button"
                        className="button danger"
                        disabled={remove.isPending}
                        onClick={() => {
                          if (window.confirm(`Remove ${user.name}? Their sessions and tokens end.`)) {
                            remove.mutate(user.name);
                          }
                        }}
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryState>
      </div>
    </div>
  );
}
