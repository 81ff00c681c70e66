import { validationError } from './errors.js';

/**
 * Who may do what (docs/USERS.md): the roles, the permission vocabulary every route declares, and
 * the one table that says which role holds which permission. Pure: the server's request guard and
 * the application layer ask {@link allows}; nothing else decides.
 */

/** A user's role: `admin` everything, `operator` runs and jobs, `viewer` reads. */
export const ROLES = ['admin', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a route or a use case needs. `*:read` are reads (log text and artifact downloads included);
 * `runs:write` starts, cancels, re-runs and deletes runs; `jobs:write` creates, edits, pauses,
 * resumes, deletes and runs jobs; `server:read` the health, metrics, stats and API docs;
 * `settings:admin` maintenance actions on the store; `users:admin` users and their sessions;
 * `secrets:read` secret values (none are served yet: reserved so viewers never get them);
 * `worker:report` what `stepflow worker` and `stepflow run --server` call (claim, heartbeat, report);
 * `audit:read` the audit log (admins only: it names every user and address);
 * `projects:read` / `projects:write` projects' files and versions (docs/WORKSPACE.md): viewers
 * read, operators upload, edit, roll back and delete; `projects:fetch` one version's archive by the
 * project's id, what a worker downloads to run a project's run (so readers and the worker token).
 */
export const PERMISSIONS = [
  'runs:read',
  'runs:write',
  'jobs:read',
  'jobs:write',
  'workers:read',
  'server:read',
  'settings:admin',
  'users:admin',
  'secrets:read',
  'worker:report',
  'audit:read',
  'projects:read',
  'projects:write',
  'projects:fetch',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/**
 * What the worker token may do: report (claim, heartbeat, report runs) and fetch the project
 * versions its runs work in. A route needing one of these is a "worker route": only there is the
 * worker token a credential at all.
 */
const WORKER_PERMISSIONS: readonly Permission[] = ['worker:report', 'projects:fetch'];

/** Whether the worker token is a credential for a route that needs `access`. */
export function isWorkerPermission(access: string): boolean {
  return (WORKER_PERMISSIONS as readonly string[]).includes(access);
}

const READS: readonly Permission[] = [
  'runs:read',
  'jobs:read',
  'workers:read',
  'server:read',
  'projects:read',
  'projects:fetch',
];

/**
 * The table. A viewer reads everything except secrets and users; an operator also changes runs and
 * jobs; an admin has every permission. `worker:report` is the admin's (the bootstrap API key's) and
 * the worker token's only: an operator signed in to the dashboard never needs to act as a worker.
 */
const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  viewer: READS,
  operator: [...READS, 'runs:write', 'jobs:write', 'secrets:read', 'projects:write'],
  admin: PERMISSIONS,
};

/** Whether `role` holds `permission`. */
export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/**
 * Who is calling, once authenticated:
 * - `user`: a signed-in user (a session), with its role;
 * - `api-key`: a bootstrap key (`STEPFLOW_API_KEY(S)`), an admin;
 * - `worker`: the worker token (`STEPFLOW_WORKER_TOKEN`): `worker:report` and `projects:fetch` only;
 * - `local`: nobody signed in on a server that has no users and no keys, on loopback: everything,
 *   as before users existed.
 */
export type Principal =
  | { kind: 'user'; name: string; role: Role; token?: string }
  | { kind: 'api-key' }
  | { kind: 'worker' }
  | { kind: 'local' };

/** Whether `principal` may do what needs `permission`. */
export function allows(principal: Principal, permission: Permission): boolean {
  switch (principal.kind) {
    case 'user':
      return can(principal.role, permission);
    case 'worker':
      return isWorkerPermission(permission);
    case 'api-key':
    case 'local':
      return true;
  }
}

/** The role a principal acts with (what the dashboard shows and hides buttons by). */
export function roleOf(principal: Principal): Role | 'worker' {
  if (principal.kind === 'user') return principal.role;
  return principal.kind === 'worker' ? 'worker' : 'admin';
}

/** A user name: 1–64 letters, digits, `.`, `_`, `-` or `@`, starting with a letter or digit. */
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** Checks a user name, or throws a `validation_failed` naming `field`. */
export function checkUserName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || !USER_NAME.test(name)) {
    throw validationError(
      `${field} must be 1-64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit`,
      { field },
    );
  }
  return name;
}

/** Checks a role, or throws a `validation_failed` naming `field`. */
export function checkRole(role: unknown, field = 'role'): Role {
  if (!isRole(role)) throw validationError(`${field} must be one of ${ROLES.join(', ')}`, { field });
  return role;
}
