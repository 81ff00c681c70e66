import type { Users } from '../../app/users.js';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import { formatTime, printable, table } from '../format.js';
import { readPassword } from './read-password.js';

/** `stepflow users …` (docs/USERS.md): on the data dir or database, through the application layer. */
export interface PasswordSource {
  /** Read the password from stdin (one line; a trailing newline is dropped), not a prompt. */
  passwordStdin?: boolean;
}

export async function usersListCommand(users: Users, options: { json?: boolean }): Promise<number> {
  const list = await users.list();
  if (options.json) {
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  if (list.length === 0) {
    process.stdout.write(
      'no users: the server is open on loopback only (add one: stepflow users add --name admin --role admin)\n',
    );
    return 0;
  }
  const rows = list.map((u) => [
    printable(u.name),
    u.role,
    formatTime(u.createdAt),
    u.disabled ? 'disabled' : '',
  ]);
  process.stdout.write(table([['NAME', 'ROLE', 'CREATED', ''], ...rows]));
  return 0;
}

export async function usersAddCommand(
  users: Users,
  options: PasswordSource & { name: string; role: string },
): Promise<number> {
  const password = await passwordFrom(options, `Password for ${options.name}: `);
  const user = await users.add({ name: options.name, role: options.role, password });
  process.stdout.write(`added ${printable(user.name)} (${user.role})\n`);
  return 0;
}

export async function usersRemoveCommand(users: Users, name: string): Promise<number> {
  await users.remove(name);
  process.stdout.write(`removed ${printable(name)} (its sessions ended)\n`);
  return 0;
}

export async function usersPasswordCommand(
  users: Users,
  name: string,
  options: PasswordSource,
): Promise<number> {
  const password = await passwordFrom(options, `New password for ${name}: `);
  await users.setPassword(name, password);
  process.stdout.write(`password of ${printable(name)} changed (its sessions ended)\n`);
  return 0;
}

export async function usersRoleCommand(users: Users, name: string, role: string): Promise<number> {
  const user = await users.setRole(name, role);
  process.stdout.write(`${printable(user.name)} is now ${user.role}\n`);
  return 0;
}

/** The password from stdin (`--password-stdin`), else a prompt on the terminal without echo, typed twice. */
async function passwordFrom(options: PasswordSource, prompt: string): Promise<string> {
  if (options.passwordStdin) return readStdin();
  if (!process.stdin.isTTY) {
    throw new StepflowError(
      ERROR_CODES.USAGE,
      'no terminal to ask the password on: pass --password-stdin and write it to stdin',
    );
  }
  const password = await readPassword(prompt);
  const again = await readPassword('Again: ');
  if (again !== password) throw new StepflowError(ERROR_CODES.USAGE, 'the two passwords differ');
  return password;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One line, as `echo pw | …` or a password manager writes it: the newline is not part of it.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
