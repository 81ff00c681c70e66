import { useQueryClient } from '@tanstack/react-query';
import { NavLink, Outlet } from 'react-router';
import { useConnectionState, useLiveUnauthorized } from '../live/live-context.js';
import { ApiKeyPrompt } from './api-key-prompt.js';
import { LoginPage } from './login-page.js';
import { ME_KEY, needsSignIn, useCan, useMe } from './session.js';
import { ThemeToggle } from './theme-toggle.js';
import { UserMenu } from './user-menu.js';

export function Layout() {
  const me = useMe();
  const canRun = useCan('runs:write');
  const queryClient = useQueryClient();
  // Signed out elsewhere, revoked, disabled: the server closed the live feed; ask who we are now.
  useLiveUnauthorized(() => void queryClient.invalidateQueries({ queryKey: ME_KEY }));
  // Hidden until known: only users hold tokens, only users:admin manages users. A server without
  // users (the open local mode) shows neither: its first user comes from `stepflow users add`.
  const isUser = me.data?.kind === 'user';
  const canManageUsers =
    me.data !== undefined && me.data.kind !== 'local' && me.data.permissions.includes('users:admin');
  const canAudit = useCan('audit:read');
  // The server has users and this browser has no (or an ended) session.
  if (needsSignIn(me.error)) return <LoginPage />;
  return (
    <div className="app">
      <header className="topbar">
        <NavLink to="/" className="brand" end>
          <img src="/favicon.svg" alt="" width={20} height={20} /> StepFlow
        </NavLink>
        <nav className="topnav" aria-label="Main">
          <NavLink to="/" end>
            Dashboard
          </NavLink>
          <NavLink to="/history">History</NavLink>
          <NavLink to="/jobs">Jobs</NavLink>
          <NavLink to="/pipelines">Pipelines</NavLink>
          <NavLink to="/projects">Projects</NavLink>
          <NavLink to="/artifacts">Artifacts</NavLink>
          <NavLink to="/workers">Workers</NavLink>
          {canManageUsers && <NavLink to="/users">Users</NavLink>}
          {isUser && <NavLink to="/tokens">API tokens</NavLink>}
          {canAudit && <NavLink to="/audit">Audit</NavLink>}
          <NavLink to="/host">Host</NavLink>
          <NavLink to="/environments">Environments</NavLink>
          <NavLink to="/settings">Settings</NavLink>
        </nav>
        <div className="topbar-end">
          <ConnectionBadge />
          <ThemeToggle />
          <UserMenu />
          {canRun && (
            <NavLink to="/new" className="button primary">
              New execution
            </NavLink>
          )}
        </div>
      </header>
      <ApiKeyPrompt />
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}

function ConnectionBadge() {
  const state = useConnectionState();
  // The first connect takes milliseconds; only a lost connection is worth a word.
  if (state !== 'reconnecting') return null;
  return (
    <span className="connection-badge" role="status" data-state={state}>
      Reconnecting…
    </span>
  );
}
