import { describe, expect, it } from 'vitest';
import { allows, can, checkRole, checkUserName, PERMISSIONS, ROLES, type Permission } from './access.js';

describe('roles and permissions', () => {
  it('is the table of docs/USERS.md: viewers read, operators change runs and jobs, admins everything', () => {
    const table = Object.fromEntries(
      ROLES.map((role) => [role, PERMISSIONS.filter((permission) => can(role, permission))]),
    );
    expect(table).toEqual({
      admin: [...PERMISSIONS],
      operator: [
        'runs:read',
        'runs:write',
        'jobs:read',
        'jobs:write',
        'workers:read',
        'server:read',
        'secrets:read',
        'projects:read',
        'projects:write',
        'projects:fetch',
      ],
      viewer: ['runs:read', 'jobs:read', 'workers:read', 'server:read', 'projects:read', 'projects:fetch'],
    });
  });

  it('a viewer never gets secrets or users; the worker token only reports and fetches project versions', () => {
    expect(can('viewer', 'secrets:read')).toBe(false);
    expect(can('viewer', 'users:admin')).toBe(false);
    expect(can('operator', 'users:admin')).toBe(false);
    for (const permission of PERMISSIONS) {
      expect(allows({ kind: 'worker' }, permission)).toBe(
        permission === ('worker:report' as Permission) || permission === ('projects:fetch' as Permission),
      );
      expect(allows({ kind: 'api-key' }, permission)).toBe(true);
    }
  });

  it('checks names and roles at the edge, naming the field', () => {
    expect(checkUserName('alice.b@example')).toBe('alice.b@example');
    for (const bad of ['', ' alice', '-x', 'a'.repeat(65), 'a b', 42]) {
      expect(() => checkUserName(bad)).toThrow(/name must be 1-64/);
    }
    expect(checkRole('viewer')).toBe('viewer');
    expect(() => checkRole('root')).toThrow(/role must be one of admin, operator, viewer/);
  });
});
