import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client.js';
import { PageHeader } from '../../components/page-header.js';
import { QueryState } from '../../components/query-state.js';
import { formatAgo } from '../../format.js';
import type { ApiTokenJson } from '../../../../src/protocol/user-schemas.js';
import { useTokenActions, useTokens } from './use-tokens.js';
import './tokens.css';

/**
 * The signed-in user's API tokens (docs/USERS.md): create one (its secret is shown here once,
 * with a copy button, and never again), see when each was last used and when it expires, revoke.
 */
export function TokensPage() {
  const list = useTokens();
  const { create, revoke } = useTokenActions();
  const [name, setName] = useState('');
  const [expires, setExpires] = useState('');
  const [secret, setSecret] = useState<{ name: string; value: string } | null>(null);
  const [copied, setCopied] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSecret(null);
    setCopied(false);
    setCopyFailed(false);
    // A date picks the end of that day, local time.
    const expiresAt = expires === '' ? undefined : new Date(`${expires}T23:59:59`).toISOString();
    const created = await create.mutateAsync({ name, ...(expiresAt ? { expiresAt } : {}) }).catch(() => null);
    if (created === null) return;
    setSecret({ name: created.token.name, value: created.secret });
    setName('');
    setExpires('');
  };
  const [copyFailed, setCopyFailed] = useState(false);
  const copy = async () => {
    if (secret === null) return;
    try {
      await navigator.clipboard.writeText(secret.value);
      setCopied(true);
    } catch {
      // No clipboard access (a plain-HTTP origin other than localhost, a denied permission): the
      // text is still selectable; say so instead of failing silently.
      setCopyFailed(true);
    }
  };

  return (
    <div className="page tokens">
      <PageHeader title="API tokens" />
      <p className="muted">
        A token acts as you, with your role, for the CLI (<code>STEPFLOW_TOKEN</code>) and scripts (
        <code>Authorization: Bearer …</code>).
      </p>
      <form className="card token-form" aria-label="New token" onSubmit={(event) => void submit(event)}>
        <label htmlFor="token-name">Name</label>
        <input
          id="token-name"
          value={name}
          maxLength={64}
          placeholder="laptop, ci…"
          onChange={(event) => setName(event.target.value)}
        />
        <label htmlFor="token-expires">Expires (optional)</label>
        <input
          id="token-expires"
          type="date"
          value={expires}
          onChange={(event) => setExpires(event.target.value)}
        />
        <button type="submit" className="button primary" disabled={name.trim() === '' || create.isPending}>
          Create token
        </button>
        {create.error && (
          <p className="error-text" role="alert">
            {create.error instanceof ApiError ? create.error.message : String(create.error)}
          </p>
        )}
      </form>
      {secret && (
        <div className="card token-secret" role="status" aria-label="New token secret">
          <p>
            Copy the secret of <strong>{secret.name}</strong> now: it is shown this once and cannot be shown
            again.
          </p>
          <code className="mono token-secret-value">{secret.value}</code>
          <button type="button" className="button" onClick={() => void copy()}>
            {copied ? 'Copied' : 'Copy'}
          </button>
          {copyFailed && <span className="error-text">Could not copy: select the secret and copy it.</span>}
          <button type="button" className="button ghost" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      )}
      <div className="card">
        <QueryState error={list.error} items={list.data?.tokens} inCard empty="No tokens yet.">
          {(tokens) => (
            <table className="table tokens-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Created</th>
                  <th>Last used</th>
                  <th>Expires</th>
                  <th>State</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {tokens.map((token) => (
                  <tr key={token.id} data-state={stateOf(token)}>
                    <td>{token.name}</td>
                    <td title={token.createdAt}>{formatAgo(token.createdAt)}</td>
                    <td title={token.lastUsedAt ?? undefined}>
                      {token.lastUsedAt === null ? 'never' : formatAgo(token.lastUsedAt)}
                    </td>
                    <td title={token.expiresAt ?? undefined}>
                      {token.expiresAt === null ? 'never' : new Date(token.expiresAt).toLocaleDateString()}
                    </td>
                    <td>{stateOf(token)}</td>
                    <td>
                      {stateOf(token) !== 'revoked' && (
                        <button
                          type="button"
                          className="button danger"
                          disabled={revoke.isPending}
                          onClick={() => {
                            if (
                              window.confirm(`Revoke ${token.name}? Whatever uses it stops working at once.`)
                            ) {
                              revoke.mutate(token.id);
                            }
                          }}
                        >
                          Revoke
                        </button>
                      )}
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

function stateOf(token: ApiTokenJson): 'active' | 'expired' | 'revoked' {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && Date.parse(token.expiresAt) <= Date.now()) return 'expired';
  return 'active';
}
