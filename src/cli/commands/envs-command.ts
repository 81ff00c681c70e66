import type { Application } from '../../app/application.js';
import type { Environments } from '../../app/environments.js';
import { formatTime, printable, table } from '../format.js';
import { localUser } from '../local-user.js';
import { followRun } from './follow-run.js';

/**
 * `stepflow envs ls|add|rm|build|reset` (docs/WORKSPACE-ENVIRONMENTS.md), on the data dir or
 * database through the application layer. `build` runs the build in this process, shown live like
 * `stepflow run`, into this host's data dir.
 */
export async function envsListCommand(
  environments: Environments,
  options: { json?: boolean },
): Promise<number> {
  const list = await environments.list();
  if (options.json) {
    process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
    return 0;
  }
  if (list.length === 0) {
    process.stdout.write('no environments (add one: stepflow envs add NAME --requirement requests)\n');
    return 0;
  }
  const rows = list.map((e) => [
    printable(e.name),
    e.interpreter,
    e.state,
    String(e.requirements.length),
    e.lastBuildId ?? '-',
    formatTime(e.updatedAt),
  ]);
  process.stdout.write(table([['NAME', 'INTERPRETER', 'STATE', 'REQS', 'LAST BUILD', 'UPDATED'], ...rows]));
  return 0;
}

export async function envsAddCommand(
  environments: Environments,
  name: string,
  options: { interpreter?: string; requirement: string[] },
): Promise<number> {
  const added = await environments.add(name, {
    ...(options.interpreter === undefined ? {} : { interpreter: options.interpreter }),
    requirements: options.requirement,
  });
  process.stdout.write(
    `added ${printable(added.name)} (${added.interpreter}, ${added.requirements.length} requirements)\n`,
  );
  return 0;
}

export async function envsRemoveCommand(environments: Environments, name: string): Promise<number> {
  await environments.remove(name);
  process.stdout.write(`removed ${printable(name)}\n`);
  return 0;
}

export async function envsBuildCommand(app: Application, name: string): Promise<number> {
  const { execution, done } = await app.environments.build(name, { createdBy: localUser() });
  return followRun(app, { execution, done });
}

export async function envsResetCommand(environments: Environments, name: string): Promise<number> {
  const reset = await environments.reset(name);
  process.stdout.write(
    `reset ${printable(reset.name)}: generation ${reset.generation}, built again when next needed\n`,
  );
  return 0;
}
