import { Command, CommanderError, Option } from 'commander';
import { databaseConfig, loadConfig, type StepflowConfig } from '../config.js';
import { ERROR_CODES, StepflowError, isStepflowError } from '../core/errors.js';
import type { Application, RunApplication } from '../app/application.js';
import type { DataDirCare } from '../app/data-dir-care.js';
import type { MigrationBackup } from '../app/backup/backup-before-migrate.js';
import type { AuditCommandOptions } from './commands/audit-command.js';
import type { ExecutionReadSource, ExecutionSource } from './execution-source.js';
import { resolveServer } from './jobs/jobs-api-client.js';
import { warnOfLegacyDataDir } from '../legacy-data-dir.js';
import { registerJobsCommand } from './jobs/jobs-command.js';
import { registerPipelineFileCommands } from './pipelines/pipeline-file-commands.js';
import { registerPipelineCommand } from './pipelines/pipeline-command.js';
import { registerProjectsCommand } from './projects/projects-command.js';
import type { WorkerOptions } from './worker/run-worker.js';
import { VERSION } from '../version.js';

const EXIT_USAGE = 2;
const USAGE_HINT = "(see 'stepflow --help', or 'stepflow <command> --help')";

/** What every command that opens the store accepts: `--database-url` (else STEPFLOW_DATABASE_URL). */
interface StoreOptions {
  databaseUrl?: string;
}

/** The settings of the environment, with `--database-url` over STEPFLOW_DATABASE_URL. */
function commandConfig(options: StoreOptions): StepflowConfig {
  const config = loadConfig();
  return options.databaseUrl ? { ...config, database: databaseConfig(options.databaseUrl) } : config;
}

function reportMigrationBackup(backup: MigrationBackup | undefined): void {
  if (backup === undefined) return;
  const { fromVersion, toVersion, file } = backup;
  process.stderr.write(
    `stepflow: schema ${fromVersion} migrated to ${toVersion}; backed up first to ${file}\n`,
  );
}

/** Opens the data dir (or the database) for the length of one command. */
async function withStepflow(
  options: StoreOptions,
  action: (app: Application, config: StepflowConfig) => Promise<number>,
): Promise<number> {
  const config = commandConfig(options);
  if (config.database === undefined) warnOfLegacyDataDir(config);
  const { createStepflow } = await import('../stepflow.js');
  const stepflow = await createStepflow(config, { cli: true });
  reportMigrationBackup(stepflow.migrationBackup);
  try {
    return await action(stepflow.app, stepflow.config);
  } finally {
    await stepflow.close();
  }
}

/**
 * `withStepflow` for `stepflow run` and `rerun`: the run side of the composition (`stepflow-run.ts`: the engine
 * and `app.executions`, no scheduler, notifier or rest of the application), most of its start-up.
 */
async function withRunStepflow(
  options: StoreOptions,
  action: (app: RunApplication) => Promise<number>,
): Promise<number> {
  const config = commandConfig(options);
  if (config.database === undefined) warnOfLegacyDataDir(config);
  const { openStepflowRun } = await import('../stepflow-run.js');
  const stepflow = await openStepflowRun(config);
  reportMigrationBackup(stepflow.migrationBackup);
  try {
    return await action(stepflow.app);
  } finally {
    await stepflow.close();
  }
}

/** Backup, restore, verify: the data dir's files, without the engine or crash recovery. */
async function withDataDirCare(
  options: StoreOptions,
  action: (care: DataDirCare, config: StepflowConfig) => Promise<number>,
): Promise<number> {
  const config = commandConfig(options);
  const { openDataDirCare } = await import('../stepflow.js');
  const { care, close } = openDataDirCare(config);
  try {
    return await action(care, config);
  } finally {
    await close();
  }
}

interface WhereOptions extends StoreOptions {
  server?: string;
  token?: string;
}

/** A server's API when `--server` or `STEPFLOW_SERVER` names one, else this machine's data dir. */
async function withSource(
  options: WhereOptions,
  action: (source: ExecutionSource, config: StepflowConfig) => Promise<number>,
): Promise<number> {
  const { localSource, serverSource } = await import('./execution-source.js');
  if (options.server || process.env.STEPFLOW_SERVER) {
    return action(serverSource(resolveServer(options)), loadConfig());
  }
  return withStepflow(options, (app, config) => action(localSource(app, config), config));
}

/**
 * `withSource` for the commands that only read: the data dir opened without the engine, the
 * scheduler or the application (`stepflow-reads.ts`), which is most of their start-up.
 */
async function withReadSource(
  options: WhereOptions,
  action: (source: ExecutionReadSource) => Promise<number>,
): Promise<number> {
  const { localReadSource, serverSource } = await import('./execution-source.js');
  if (options.server || process.env.STEPFLOW_SERVER) {
    // Read as `withSource` does: settings that do not parse are refused here too.
    loadConfig();
    return action(serverSource(resolveServer(options)));
  }
  const config = commandConfig(options);
  if (config.database === undefined) warnOfLegacyDataDir(config);
  const { openStepflowReads } = await import('../stepflow-reads.js');
  const stepflow = await openStepflowReads(config);
  reportMigrationBackup(stepflow.migrationBackup);
  try {
    return await action(localReadSource(stepflow.reads, stepflow.config));
  } finally {
    await stepflow.close();
  }
}

/** Adds `--database-url` to a command that opens the store. */
const opensStore = (command: Command): Command =>
  command.option(
    '--database-url <url>',
    'a PostgreSQL database (postgres://…) instead of the data dir (better: STEPFLOW_DATABASE_URL, not shown by ps)',
  );

/** Adds `--server` and `--token` to a command that can read a server instead of the data dir. */
const reachesServer = (command: Command): Command =>
  opensStore(command)
    .option(
      '--server <url>',
      "a StepFlow server's URL instead of this machine's data dir (or STEPFLOW_SERVER)",
    )
    .option('--token <key>', 'API key for --server (or STEPFLOW_TOKEN)');

function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command()
    .name('stepflow')
    .description('Run scripts as live, step-by-step executions kept in a local history.')
    .version(VERSION)
    .enablePositionalOptions()
    // One line and a pointer, as git and docker do: a page of help hides the error.
    .showHelpAfterError(USAGE_HINT)
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

  opensStore(program.command('run'))
    .description('run a command, show its steps live and record the execution')
    .usage('[options] -- <command...>')
    .option('--name <name>', 'execution name (default: the command)')
    .option(
      '--tag <key=value>',
      'tag the execution (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('--cwd <dir>', 'working directory (default: the current one)')
    .option('--timeout <seconds>', 'stop the process tree after this many seconds')
    .option(
      '--late-after <duration>',
      'call the run late after this long (90, 90s, 10m, 1.5h); never stops it',
    )
    .option(
      '--memory-limit <size>',
      'kill the process tree past this resident memory (512M, 2G; best-effort)',
    )
    .option('--cpu-limit <percent>', 'CPU of the tree in percent of one core; best-effort: warns only')
    .option('--max-log-bytes <size>', 'store at most this much log (100M, 1G)')
    .option('--max-lines <n>', 'store at most this many log lines')
    .option('--log-limit-policy <policy>', 'past a log limit: truncate (keep head and tail) or fail')
    .option(
      '-v, --verbose',
      "on a terminal: print all the script's output, not only the running step's last lines",
    )
    .option('--server <url>', 'report the run to this StepFlow server as it goes (or STEPFLOW_SERVER)')
    .option('--token <token>', 'bearer token for --server (better: STEPFLOW_TOKEN, not shown by ps)')
    .option('--server-wait <seconds>', 'after the script ends, how long to retry delivery (default 300)')
    .option(
      '--runs-on <a,b>',
      'with --server: the server has it run by a worker with these labels, and its log is printed here',
    )
    .option('--env-name <name>', 'run in this saved Python environment (VIRTUAL_ENV, its bin first on PATH)')
    .option(
      '--project <name>',
      'with --server: the server (with --runs-on, a worker) runs it in a copy of that project (--cwd: a folder inside it), its log printed here',
    )
    .argument('<command...>', 'one argument: a shell command; several: an argv run without a shell')
    .passThroughOptions()
    .action(async (command: string[], options) => {
      const server = (options.server as string | undefined) || process.env.STEPFLOW_SERVER;
      if (options.project !== undefined) {
        if (!server)
          throw new StepflowError(
            ERROR_CODES.USAGE,
            '--project needs --server (or STEPFLOW_SERVER): that server (or, with --runs-on, its worker) runs it',
          );
        const { submitRunCommand } = await import('./remote/submit-run.js');
        setExit(await submitRunCommand(command, { ...options, server }));
        return;
      }
      if (options.runsOn !== undefined) {
        if (!server)
          throw new StepflowError(
            ERROR_CODES.USAGE,
            '--runs-on needs --server (or STEPFLOW_SERVER): a worker of that server runs it',
          );
        if (options.serverWait !== undefined || options.verbose)
          throw new StepflowError(
            ERROR_CODES.USAGE,
            '--server-wait and --verbose apply to runs that run here, not with --runs-on',
          );
        const { submitRunCommand } = await import('./remote/submit-run.js');
        setExit(await submitRunCommand(command, { ...options, server }));
        return;
      }
      if (server) {
        if (options.envName !== undefined)
          throw new StepflowError(
            ERROR_CODES.USAGE,
            "--env-name with --server needs --runs-on (the server resolves it); or run on the server's data dir",
          );
        const { remoteRunCommand } = await import('./remote/remote-run.js');
        setExit(await remoteRunCommand(command, { ...options, server }));
        return;
      }
      const { runCommand } = await import('./commands/run-command.js');
      setExit(await withRunStepflow(options, (app) => runCommand(app, command, options)));
    });

  opensStore(program.command('rerun'))
    .description('run an execution again here, shown live, linked back to it')
    .argument('<id>', 'execution id')
    .option('--from-step <name>', 'a step of that run: the script gets STEPFLOW_RESUME_FROM=<name>')
    .action(async (id: string, options: StoreOptions & { fromStep?: string }) => {
      const { rerunCommand } = await import('./commands/rerun-command.js');
      setExit(await withRunStepflow(options, (app) => rerunCommand(app, id, options)));
    });

  reachesServer(
    program
      .command('ls')
      .description('list recent executions, newest first')
      .option('--json', 'print JSON (the API shape: {items, nextCursor})')
      .option('--status <statuses>', 'only these statuses, comma-separated')
      .option('--limit <n>', 'how many (default 20, max 500)'),
  ).action(async (options) => {
    const { listCommand } = await import('./commands/list-command.js');
    setExit(await withReadSource(options, (source) => listCommand(source, options)));
  });

  reachesServer(
    program
      .command('show')
      .description('show one execution: steps, artifacts, annotations')
      .argument('<id>', 'execution id')
      .option('--json', 'print JSON (the API shape)')
      .option('--summary', 'print the Markdown the run wrote to $STEPFLOW_STEP_SUMMARY, as it is'),
  ).action(async (id: string, options) => {
    const { showCommand } = await import('./commands/show-command.js');
    setExit(await withReadSource(options, (source) => showCommand(source, id, options)));
  });

  reachesServer(
    program
      .command('logs')
      .description("print an execution's log as raw text")
      .argument('<id>', 'execution id')
      .addOption(
        new Option('--step <name>', 'only the lines of this step (name or id) and of the steps nested in it'),
      )
      .option('-f, --follow', 'keep printing new lines until the execution ends'),
  ).action(async (id: string, options) => {
    const { logsCommand } = await import('./commands/logs-command.js');
    setExit(await withReadSource(options, (source) => logsCommand(source, id, options)));
  });

  reachesServer(
    program
      .command('search')
      .description("search every run's log (case-insensitive, 3+ characters); exit 1 when nothing matches")
      .argument('<text>', 'plain text to find in the logs')
      .option('--status <statuses>', 'only runs in these statuses, comma-separated')
      .option('--since <when>', 'only runs created since: an age (30m, 24h, 7d, 2w) or an ISO date-time')
      .option('--limit <n>', 'how many runs (default 20, max 100)')
      .option('--json', 'print JSON (the API shape of GET /api/search)'),
  ).action(async (text: string, options) => {
    const { searchCommand } = await import('./commands/search-command.js');
    setExit(await withReadSource(options, (source) => searchCommand(source, text, options)));
  });

  reachesServer(
    program
      .command('cancel')
      .description('cancel an execution, whichever StepFlow process (on this data dir, or --server) runs it')
      .argument('<id>', 'execution id')
      .option('--no-wait', 'return once the request is recorded, without waiting for the run to end'),
  ).action(async (id: string, options: WhereOptions & { wait: boolean }) => {
    const { cancelCommand } = await import('./commands/cancel-command.js');
    setExit(
      await withSource(options, (source, config) =>
        cancelCommand(source, id, { wait: options.wait, killGraceMs: config.killGraceMs }),
      ),
    );
  });

  opensStore(program.command('prune'))
    .description('apply the retention policy now (docs/RETENTION.md) and print what it freed')
    .option('--dry-run', 'change nothing: print what would be deleted and freed')
    .option('--json', 'print the report as JSON (the API shape of POST /api/health/retention/sweep)')
    .option('--vacuum', 'first rewrite the SQLite file so it can shrink (once, with the server stopped)')
    .action(async (options) => {
      const { pruneCommand } = await import('./commands/prune-command.js');
      setExit(await withStepflow(options, (app) => pruneCommand(app, options)));
    });

  opensStore(
    program
      .command('pin')
      .description('pin an execution: retention never expires it')
      .argument('<id>', 'execution id'),
  ).action(async (id: string, options: StoreOptions) => {
    const { pinCommand } = await import('./commands/prune-command.js');
    setExit(await withStepflow(options, (app) => pinCommand(app, id, true)));
  });

  opensStore(
    program
      .command('unpin')
      .description('unpin an execution: retention applies to it again')
      .argument('<id>', 'execution id'),
  ).action(async (id: string, options: StoreOptions) => {
    const { pinCommand } = await import('./commands/prune-command.js');
    setExit(await withStepflow(options, (app) => pinCommand(app, id, false)));
  });

  opensStore(program.command('server'))
    .description('serve the API, the WebSocket stream and the dashboard on one port')
    .option('--host <host>', 'address to listen on (default 127.0.0.1, or STEPFLOW_HOST)')
    .option('--port <port>', 'port (default 8080, or STEPFLOW_PORT; 0 picks a free one)')
    .option('--unsafe-no-auth', 'allow a non-loopback address without STEPFLOW_API_KEY')
    .option('--no-runner', 'run nothing here: every submitted run waits for a `stepflow worker`')
    .action(async (options) => {
      const { serverCommand } = await import('./commands/server-command.js');
      setExit(await serverCommand(options));
    });

  program
    .command('worker')
    .description('claim queued runs from a server and run them here (token: STEPFLOW_WORKER_TOKEN)')
    .option('--server <url>', 'the StepFlow server (or STEPFLOW_SERVER)')
    .option('--slots <n>', 'runs at once (default 1)')
    .option('--labels <a,b>', 'labels of this host: runs with runsOn take only workers having them all')
    .option('--name <name>', 'how the server lists this worker (default: the host name)')
    .option(
      '--grace <seconds>',
      'on SIGTERM, how long running runs may finish before being cancelled (default 60)',
    )
    .option('--server-wait <seconds>', "how long to retry delivering a run's end (default 300)")
    .action(async (options: Omit<WorkerOptions, 'server'> & { server?: string }) => {
      const server = options.server || process.env.STEPFLOW_SERVER;
      if (!server)
        throw new StepflowError(ERROR_CODES.USAGE, 'worker needs --server URL (or STEPFLOW_SERVER)');
      const { workerCommand } = await import('./worker/run-worker.js');
      setExit(await workerCommand({ ...options, server }));
    });

  const workers = program.command('workers').description("a server's workers (docs/WORKERS.md)");
  workers
    .command('ls')
    .description('list the workers registered with the server: labels, slots in use, last heartbeat')
    .option('--json', 'print JSON (the API shape of GET /api/workers)')
    .option('--server <url>', "the StepFlow server's URL (or STEPFLOW_SERVER)")
    .option('--token <key>', 'API key for --server (or STEPFLOW_TOKEN)')
    .action(async (options: WhereOptions & { json?: boolean }) => {
      const { workersListCommand } = await import('./commands/workers-command.js');
      setExit(await workersListCommand(resolveServer(options), options));
    });

  program
    .command('push')
    .description('send a spool kept by `run --server` (the server was unreachable) and remove it')
    .argument('<spool>', 'the spool directory named when the run ended')
    .option('--server <url>', 'the StepFlow server (or STEPFLOW_SERVER)')
    .option('--token <token>', 'bearer token (better: STEPFLOW_TOKEN, not shown by ps)')
    .option('--server-wait <seconds>', 'how long to retry delivery (default 300)')
    .action(async (spool: string, options: { server?: string; token?: string; serverWait?: string }) => {
      const server = options.server || process.env.STEPFLOW_SERVER;
      if (!server) throw new StepflowError(ERROR_CODES.USAGE, 'push needs --server URL (or STEPFLOW_SERVER)');
      const { pushSpoolCommand } = await import('./remote/push-spool.js');
      setExit(await pushSpoolCommand(spool, { ...options, server }));
    });

  const users = program
    .command('users')
    .description('users who sign in to the server, and their roles (docs/USERS.md)');
  const usersCommand = (name: string): Command => opensStore(users.command(name));
  const loadUsersCommands = () => import('./commands/users-command.js');
  usersCommand('ls')
    .description('list users: name, role, created')
    .option('--json', 'print JSON')
    .action(async (options: StoreOptions & { json?: boolean }) => {
      const { usersListCommand } = await loadUsersCommands();
      setExit(await withStepflow(options, (app) => usersListCommand(app.users, options)));
    });
  usersCommand('add')
    .description('add a user (password from a prompt, or --password-stdin)')
    .requiredOption('--name <name>', 'user name (what they sign in with)')
    .requiredOption('--role <role>', 'admin, operator or viewer')
    .option('--password-stdin', 'read the password from stdin instead of a prompt')
    .action(async (options: StoreOptions & { name: string; role: string; passwordStdin?: boolean }) => {
      const { usersAddCommand } = await loadUsersCommands();
      setExit(await withStepflow(options, (app) => usersAddCommand(app.users, options)));
    });
  usersCommand('rm')
    .description('remove a user and end its sessions')
    .argument('<name>')
    .action(async (name: string, options: StoreOptions) => {
      const { usersRemoveCommand } = await loadUsersCommands();
      setExit(await withStepflow(options, (app) => usersRemoveCommand(app.users, name)));
    });
  usersCommand('passwd')
    .description("set a user's password (its sessions end)")
    .argument('<name>')
    .option('--password-stdin', 'read the password from stdin instead of a prompt')
    .action(async (name: string, options: StoreOptions & { passwordStdin?: boolean }) => {
      const { usersPasswordCommand } = await loadUsersCommands();
      setExit(await withStepflow(options, (app) => usersPasswordCommand(app.users, name, options)));
    });
  usersCommand('role')
    .description("change a user's role")
    .argument('<name>')
    .argument('<role>', 'admin, operator or viewer')
    .action(async (name: string, role: string, options: StoreOptions) => {
      const { usersRoleCommand } = await loadUsersCommands();
      setExit(await withStepflow(options, (app) => usersRoleCommand(app.users, name, role)));
    });

  const tokens = program
    .command('tokens')
    .description("users' API tokens, on the host (docs/USERS.md; users make their own on the dashboard)");
  const tokensCommand = (name: string): Command => opensStore(tokens.command(name));
  const loadTokensCommands = () => import('./commands/tokens-command.js');
  tokensCommand('create')
    .description('create an API token for a user and print its secret, this once')
    .requiredOption('--user <user>', 'whose token')
    .requiredOption('--name <name>', "the token's name (unique among the user's tokens)")
    .option('--expires-days <days>', 'expires this many days from now (default: never)')
    .option('--json', 'print JSON')
    .action(
      async (
        options: StoreOptions & { user: string; name: string; expiresDays?: string; json?: boolean },
      ) => {
        const { tokensCreateCommand } = await loadTokensCommands();
        setExit(await withStepflow(options, (app) => tokensCreateCommand(app.tokens, options)));
      },
    );
  tokensCommand('ls')
    .description("list a user's tokens: id, name, created, last used, expiry, state")
    .requiredOption('--user <user>', 'whose tokens')
    .option('--json', 'print JSON')
    .action(async (options: StoreOptions & { user: string; json?: boolean }) => {
      const { tokensListCommand } = await loadTokensCommands();
      setExit(await withStepflow(options, (app) => tokensListCommand(app.tokens, options)));
    });
  tokensCommand('revoke')
    .description('revoke a token: the next request with it is refused')
    .argument('<id>')
    .action(async (id: string, options: StoreOptions) => {
      const { tokensRevokeCommand } = await loadTokensCommands();
      setExit(await withStepflow(options, (app) => tokensRevokeCommand(app.tokens, id)));
    });
  opensStore(program.command('audit'))
    .description('the audit log: who changed what, from where, newest first (docs/AUDIT.md)')
    .option('--json', 'print JSON lines, one entry a line')
    .option('--since <time>', 'from this ISO time, or this long ago: 30m, 24h, 7d')
    .option('--until <time>', 'before this ISO time or age')
    .option('--actor <name>', 'a user name, or api-key, worker, local, anonymous')
    .option('--action <action>', 'an action (run.cancel) or its start (run.)')
    .option('--object <kind:id>', 'what was acted on, e.g. run:<id>, user:alice')
    .option('--outcome <outcome>', 'ok, denied or failed')
    .option('--limit <n>', 'how many (default 50, max 1000)')
    .action(async (options: StoreOptions & AuditCommandOptions) => {
      const { auditCommand } = await import('./commands/audit-command.js');
      setExit(await withStepflow(options, (app) => auditCommand(app.audit, options)));
    });

  registerJobsCommand(program, setExit);
  registerProjectsCommand(program, setExit);

  const settings = program
    .command('settings')
    .description(
      'the package index and the global variables every run gets (docs/WORKSPACE-ENVIRONMENTS.md)',
    );
  const loadSettingsCommands = () => import('./commands/settings-command.js');
  opensStore(settings.command('show'))
    .description('print the settings')
    .option('--json', 'print JSON')
    .action(async (options: StoreOptions & { json?: boolean }) => {
      const { settingsShowCommand } = await loadSettingsCommands();
      setExit(await withStepflow(options, (app) => settingsShowCommand(app.environments, options)));
    });
  opensStore(settings.command('set'))
    .description(
      'set pythonIndexUrl, pythonExtraIndexUrls or pythonTrustedHosts (a,b), defaultTimeoutSeconds, or env.NAME',
    )
    .argument('<key>')
    .argument('<value>')
    .action(async (key: string, value: string, options: StoreOptions) => {
      const { settingsSetCommand } = await loadSettingsCommands();
      setExit(await withStepflow(options, (app) => settingsSetCommand(app.environments, key, value)));
    });
  opensStore(settings.command('unset'))
    .description('clear a setting, or remove the variable env.NAME')
    .argument('<key>')
    .action(async (key: string, options: StoreOptions) => {
      const { settingsSetCommand } = await loadSettingsCommands();
      setExit(await withStepflow(options, (app) => settingsSetCommand(app.environments, key, undefined)));
    });
  opensStore(settings.command('set-secret'))
    .description('set a secret variable every run gets, masked in logs; its value is read from stdin')
    .argument('<name>')
    .action(async (name: string, options: StoreOptions) => {
      const { settingsSetSecretCommand } = await loadSettingsCommands();
      setExit(await withStepflow(options, (app) => settingsSetSecretCommand(app.environments, name)));
    });
  opensStore(settings.command('unset-secret'))
    .description('remove a secret variable')
    .argument('<name>')
    .action(async (name: string, options: StoreOptions) => {
      const { settingsUnsetSecretCommand } = await loadSettingsCommands();
      setExit(await withStepflow(options, (app) => settingsUnsetSecretCommand(app.environments, name)));
    });

  const envs = program
    .command('envs')
    .description('Python environments runs and jobs can name (docs/WORKSPACE-ENVIRONMENTS.md)');
  const loadEnvsCommands = () => import('./commands/envs-command.js');
  opensStore(envs.command('ls'))
    .description('list environments: interpreter, state, last build')
    .option('--json', 'print JSON')
    .action(async (options: StoreOptions & { json?: boolean }) => {
      const { envsListCommand } = await loadEnvsCommands();
      setExit(await withStepflow(options, (app) => envsListCommand(app.environments, options)));
    });
  opensStore(envs.command('add'))
    .description('add an environment')
    .argument('<name>')
    .option('--interpreter <python>', 'python3 (default), python3.11, conda:3.11 or micromamba:3.11')
    .option(
      '-r, --requirement <line>',
      'a requirement line, e.g. requests==2.31.0 (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .action(async (name: string, options: StoreOptions & { interpreter?: string; requirement: string[] }) => {
      const { envsAddCommand } = await loadEnvsCommands();
      setExit(await withStepflow(options, (app) => envsAddCommand(app.environments, name, options)));
    });
  opensStore(envs.command('rm'))
    .description("remove an environment and this host's copy")
    .argument('<name>')
    .action(async (name: string, options: StoreOptions) => {
      const { envsRemoveCommand } = await loadEnvsCommands();
      setExit(await withStepflow(options, (app) => envsRemoveCommand(app.environments, name)));
    });
  opensStore(envs.command('build'))
    .description('build it here now, shown live like stepflow run (an ordinary, recorded run)')
    .argument('<name>')
    .action(async (name: string, options: StoreOptions) => {
      const { envsBuildCommand } = await loadEnvsCommands();
      setExit(await withStepflow(options, (app) => envsBuildCommand(app, name)));
    });
  opensStore(envs.command('reset'))
    .description("clear a stuck build and delete this host's copy; every host builds it afresh next time")
    .argument('<name>')
    .action(async (name: string, options: StoreOptions) => {
      const { envsResetCommand } = await loadEnvsCommands();
      setExit(await withStepflow(options, (app) => envsResetCommand(app.environments, name)));
    });

  const secrets = program
    .command('secrets')
    .description('job secrets encrypted at rest: their key and its rotation (docs/SECRETS.md)');
  const loadSecretsCommands = () => import('./commands/secrets-command.js');
  opensStore(secrets.command('status'))
    .description('the key in use, the key the stored secrets are sealed with, how many there are')
    .option('--json', 'print JSON')
    .action(async (options: StoreOptions & { json?: boolean }) => {
      const { secretsStatusCommand } = await loadSecretsCommands();
      setExit(await withStepflow(options, (app) => secretsStatusCommand(app.secrets, options)));
    });
  opensStore(secrets.command('rotate-key'))
    .description(
      're-encrypt every stored secret under a new key, in one transaction (stop the servers first)',
    )
    .option(
      '--new-key-file <file>',
      'the new key (32 bytes, base64 or hex); else STEPFLOW_NEW_SECRET_KEY, else generated',
    )
    .action(async (options: StoreOptions & { newKeyFile?: string }) => {
      const { secretsRotateCommand } = await loadSecretsCommands();
      setExit(await withStepflow(options, (app) => secretsRotateCommand(app.secrets, options)));
    });

  opensStore(program.command('backup'))
    .description(
      'back up the data dir while it runs: database and artifacts in one .tar.gz (docs/OPERATIONS.md)',
    )
    .argument('[file]', 'the archive to write (must not exist); or --to')
    .option('--to <dir>', 'write into this folder under a name of its own, checked (for schedules)')
    .option('--keep <n>', 'with --to: keep the newest n backups StepFlow named there, delete older ones')
    .action(async (file: string | undefined, options: StoreOptions & { to?: string; keep?: string }) => {
      const { backupCommand, backupToDirCommand } = await import('./commands/backup-command.js');
      setExit(
        await withDataDirCare(options, (care, config) =>
          options.to !== undefined || file === undefined || options.keep !== undefined
            ? backupToDirCommand(care, { file, to: options.to, keep: options.keep, dataDir: config.dataDir })
            : backupCommand(care, file, config.dataDir),
        ),
      );
    });

  program
    .command('restore')
    .description('restore a backup into a data dir, checking every file and the schema (docs/OPERATIONS.md)')
    .argument('<file>', 'the archive `stepflow backup` wrote')
    .requiredOption('--data-dir <dir>', 'where to restore: a new or empty directory')
    .option('--force', 'replace the StepFlow data dir there (never one a process has open)')
    .action(async (file: string, options: { dataDir: string; force?: boolean }) => {
      const { restoreCommand } = await import('./commands/restore-command.js');
      setExit(await withDataDirCare({}, (care) => restoreCommand(care, file, options)));
    });

  opensStore(program.command('verify'))
    .description('check the data dir: the database, artifact files and hashes, log lines, runs nobody owns')
    .option(
      '--repair',
      "fix what is safe: remove orphan files, mark missing artifacts, end dead owners' runs",
    )
    .option('--json', 'print the report as JSON (the shape of GET /api/health/integrity)')
    .action(async (options: StoreOptions & { repair?: boolean; json?: boolean }) => {
      const { verifyCommand } = await import('./commands/verify-command.js');
      setExit(await withDataDirCare(options, (care) => verifyCommand(care, options)));
    });

  registerPipelineCommand(program, setExit);
  // After the `pipeline` command's registration: these join it instead of adding a second one.
  registerPipelineFileCommands(program, setExit);

  return program;
}

/** Where to read about the command the user typed: `stepflow run --help`, else the program's help. */
function usageHint(program: Command, argv: string[]): string {
  const names = new Set(program.commands.map((command) => command.name()));
  const typed = argv.slice(2).find((arg) => names.has(arg));
  return typed === undefined ? USAGE_HINT : `(see 'stepflow ${typed} --help')`;
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => (exitCode = code));
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end through here too, with exit code 0.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (isStepflowError(error)) {
      process.stderr.write(`stepflow: ${error.code}: ${error.message}\n`);
      if (error.code === ERROR_CODES.USAGE) {
        process.stderr.write(`${usageHint(program, argv)}\n`);
        return EXIT_USAGE;
      }
      return 1;
    }
    process.stderr.write(
      `stepflow: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}

process.exitCode = await main(process.argv);
