import type { Command } from 'commander';

/** The actions load when a projects command runs, not on every `stepflow` start. */
const actions = () => import('./projects-actions.js');

/** `stepflow projects ls|create|upload|versions|rollback|rm`: a client of a running server's /api/projects. */
export function registerProjectsCommand(program: Command, setExit: (code: number) => void): void {
  const projects = program
    .command('projects')
    .description(
      'manage projects (uploaded file trees runs start in) on a StepFlow server (--server, STEPFLOW_SERVER; docs/WORKSPACE.md)',
    );
  const connection = (command: Command): Command =>
    command
      .option('--server <url>', 'StepFlow server URL (or STEPFLOW_SERVER)')
      .option('--token <token>', 'bearer token (better: STEPFLOW_TOKEN, not shown by ps)')
      .option('--json', 'print JSON (the API shape)');

  connection(projects.command('ls').description('list projects and their current version')).action(
    async (options) => setExit(await (await actions()).listProjects(options)),
  );
  connection(
    projects
      .command('create')
      .description('create a project: empty, or from a .zip / .tar.gz')
      .argument('<name>', 'project name')
      .option('--from <file>', 'an archive to fill it with'),
  ).action(async (name: string, options) => setExit(await (await actions()).createProject(name, options)));
  connection(
    projects
      .command('upload')
      .description('upload a .zip / .tar.gz as the next version (it becomes current)')
      .argument('<name>', 'project name')
      .argument('<file>', 'the archive'),
  ).action(async (name: string, file: string, options) =>
    setExit(await (await actions()).uploadProject(name, file, options)),
  );
  connection(
    projects
      .command('versions')
      .description('list the kept versions, newest first')
      .argument('<name>', 'project name'),
  ).action(async (name: string, options) => setExit(await (await actions()).listVersions(name, options)));
  connection(
    projects
      .command('rollback')
      .description('make a kept version current again')
      .argument('<name>', 'project name')
      .argument('<version>', 'version number'),
  ).action(async (name: string, version: string, options) =>
    setExit(await (await actions()).rollbackProject(name, version, options)),
  );
  connection(
    projects
      .command('rm')
      .description('delete a project and its versions')
      .argument('<name>', 'project name'),
  ).action(async (name: string, options) => setExit(await (await actions()).removeProject(name, options)));
}
