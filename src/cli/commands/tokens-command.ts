import type { ApiTokens, ApiTokenView } from '../../app/api-tokens.js';
import { validationError } from '../../core/errors.js';
import { formatTime, printable, table } from '../format.js';

/**
 * `stepflow tokens …` (docs/USERS.md): an admin on the host makes, lists and revokes users' API
 * tokens on the data dir or database, through the same use cases as `/api/tokens`. Whoever can open
 * the store is the host's admin (as for `stepflow users`).
 */
const HOST = { kind: 'local' } as const;

export async function tokensCreateCommand(
  tokens: ApiTokens,
  options: { user: string; name: string; expiresDays?: string; json?: boolean },
): Promise<number> {
  const { token, secret } = await tokens.create(HOST, {
    user: options.user,
    name: options.name,
    ...(options.expiresDays === undefined ? {} : { expiresAt: inDays(options.expiresDays) }),
  });
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ token, secret }, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(
    `created token ${printable(token.name)} of ${printable(token.user)} (id ${token.id}${
      token.expiresAt === null ? '' : `, expires ${formatTime(token.expiresAt)}`
    })\n` +
      `${secret}\n` +
      'shown this once: store it now (STEPFLOW_TOKEN, a CI secret)\n',
  );
  return 0;
}

export async function tokensListCommand(
  tokens: ApiTokens,
  options: { user: string; json?: boolean },
): Promise<number> {
  const list = await tokens.list(HOST, options.user);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  if (list.length === 0) {
    process.stdout.write(`${printable(options.user)} has no tokens\n`);
    return 0;
  }
  const rows = list.map((t) => [
    t.id,
    printable(t.name),
    formatTime(t.createdAt),
    t.lastUsedAt === null ? 'never' : formatTime(t.lastUsedAt),
    t.expiresAt === null ? 'never' : formatTime(t.expiresAt),
    stateOf(t),
  ]);
  process.stdout.write(table([['ID', 'NAME', 'CREATED', 'LAST USED', 'EXPIRES', 'STATE'], ...rows]));
  return 0;
}

export async function tokensRevokeCommand(tokens: ApiTokens, id: string): Promise<number> {
  const token = await tokens.revoke(HOST, id);
  process.stdout.write(`revoked token ${printable(token.name)} of ${printable(token.user)}\n`);
  return 0;
}

function inDays(days: string): string {
  const n = Number(days);
  if (!Number.isFinite(n) || n <= 0 || n > 3650) {
    throw validationError('--expires-days must be a number of days from 0 to 3650', { field: 'expiresDays' });
  }
  return new Date(Date.now() + n * 86_400_000).toISOString();
}

function stateOf(token: ApiTokenView): string {
  if (token.revokedAt !== null) return 'revoked';
  if (token.expiresAt !== null && Date.parse(token.expiresAt) <= Date.now()) return 'expired';
  return 'active';
}
