import type { Command } from 'commander';
import type { AddOptions, EditOptions } from './jobs-actions.js';

/** The actions load when a jobs command runs, not on every `stepflow` start (docs/PERFORMANCE.md). */
const actions = () => import('./jobs-actions.js');

const repeat = (value: string, all: string[]) => [...all, value];

/** `stepflow jobs add|ls|show|rm|run|pause|resume`: a client of a running server's /api/jobs. */
export function registerJobsCommand(program: Command, setExit: (code: number) => void): void {
  const jobs = program
    .command('jobs')
    .description(
      'manage scheduled jobs on a StepFlow server (--server, STEPFLOW_SERVER, default http://127.0.0.1:8080)',
    )
    .enablePositionalOptions();

  const connection = (command: Command): Command =>
    command
      .option('--server <url>', 'StepFlow server URL (or STEPFLOW_SERVER)')
      .option('--token <token>', 'bearer token (better: STEPFLOW_TOKEN, not shown by ps)')
      .option('--json', 'print JSON (the API shape)');

  // A job's own retention policy (docs/RETENTION.md), named after the STEPFLOW_RETENTION_* settings.
  const retention = (command: Command, { edit }: { edit: boolean }): Command => {
    command
      .option(
        '--retention-days <days>',
        "own retention policy: delete the job's runs this many days after they end",
      )
      .option('--retention-keep-last <n>', 'own retention policy: keep only its N newest ended runs')
      .option(
        '--retention-log-days <days>',
        'own retention policy: drop the log text this many days after the end',
      )
      .option(
        '--retention-artifact-days <days>',
        'own retention policy: delete artifact files this many days after the end',
      )
      .option(
        '--retention-failed-days <days>',
        'own retention policy: leave a failed run whole at least this long',
      )
      .option(
        '--retention-keep-all',
        'own retention policy without limits: keep every run, whatever the global one',
      );
    if (edit) command.option('--retention-global', 'drop the own policy: the global one applies again');
    return command;
  };

  connection(
    retention(
      jobs
        .command('add')
        .description('create a job and print its next fire times')
        .usage(
          '--name <name> [--cron <expr> [--tz <zone>] | --every <seconds> | --at <iso>]... [options] (-- <command...> | --pipeline <name> | --backup <dir> [--keep <n>])',
        )
        .requiredOption('--name <name>', 'unique job name')
        .option('--cron <expr>', 'cron expression, 5 fields or 6 with seconds (repeatable)', repeat, [])
        .option('--tz <zone>', "IANA time zone of the cron expressions (default: this machine's)")
        .option('--every <seconds>', 'fixed interval, at least 1 second (repeatable)', repeat, [])
        .option('--at <iso>', 'one-off date-time such as 2030-01-01T03:00:00Z (repeatable)', repeat, [])
        .option('--cwd <dir>', 'working directory (default: the current one)')
        .option('--tag <key=value>', 'tag its executions (repeatable)', repeat, [])
        .option('--env <NAME=value>', 'environment variable (repeatable)', repeat, [])
        .option('--timeout <seconds>', 'stop the process tree after this many seconds')
        .option(
          '--memory-limit <size>',
          'kill its process tree past this resident memory (512M, 2G; best-effort)',
        )
        .option('--cpu-limit <percent>', 'CPU of the tree in percent of one core; best-effort: warns only')
        .option('--max-log-bytes <size>', 'store at most this much log per run (100M, 1G)')
        .option('--max-lines <n>', 'store at most this many log lines per run')
        .option('--log-limit-policy <policy>', 'past a log limit: truncate (keep head and tail) or fail')
        .option('--retries <n>', 'retry a failed run up to n times')
        .option('--retry-delay <seconds>', 'delay before the first retry (doubles each time)')
        .option('--overlap <policy>', 'skip | queue | parallel | cancel-previous (default skip)')
        .option('--max-concurrent <n>', 'active runs allowed before the overlap policy applies')
        .option(
          '--missed <policy>',
          'fire times missed while the server was down: skip | run-once (default skip)',
        )
        .option('--late-after <seconds>', 'warn when a run takes longer than this')
        .option('--late-p95', 'also warn when a step runs past its 95th percentile of recent successful runs')
        .option('--webhook <url>', 'POST JSON here on failure and recovery (repeatable)', repeat, [])
        .option('--webhook-events <list>', 'comma-separated: failure, recovery, success, running-late')
        .option('--webhook-secret <secret>', 'sign webhook bodies (X-StepFlow-Signature, HMAC-SHA256)')
        .option('--paused', 'create it paused')
        .option(
          '--runs-on <labels>',
          'comma-separated labels: only a `stepflow worker` with them all runs it',
        )
        .option('--retry-on-lost', 'start a run lost with its worker again, once (not counted in --retries)')
        .option('--backup <dir>', 'a backup job: each run backs up the data dir into <dir> (no command)')
        .option('--keep <n>', 'with --backup: how many of its backups <dir> keeps (default 7)')
        .option(
          '--pipeline <name>',
          'a pipeline job: each fire runs this saved pipeline (no command; --cwd, --env, --timeout apply to the whole run)',
        )
        .argument('[command...]', 'one argument: a shell command; several: an argv run without a shell')
        .passThroughOptions(),
      { edit: false },
    ),
  ).action(async (command: string[], options: AddOptions) =>
    setExit(await (await actions()).addJob(command, options)),
  );

  connection(
    retention(
      jobs
        .command('edit')
        .description("change a job's worker labels, lost-run retry or own retention policy")
        .argument('<job>', 'job id or name')
        .option('--runs-on <labels>', "comma-separated labels a worker must have ('' : the server runs it)")
        .option('--retry-on-lost', 'start a run lost with its worker again, once')
        .option('--no-retry-on-lost', 'a lost run stays lost'),
      { edit: true },
    ),
  ).action(async (ref: string, options: EditOptions) =>
    setExit(await (await actions()).editJob(ref, options)),
  );

  connection(jobs.command('ls').description('list jobs with their next fire time and last status')).action(
    async (options) => setExit(await (await actions()).listJobs(options)),
  );

  for (const [name, description, action] of [
    [
      'show',
      'show a job, its next fire times and recent fires',
      async (ref: string, o: object) => (await actions()).showJob(ref, o),
    ],
    [
      'rm',
      'delete a job (its executions stay)',
      async (ref: string, o: object) => (await actions()).removeJob(ref, o),
    ],
    ['run', 'run a job now', async (ref: string, o: object) => (await actions()).runJob(ref, o)],
    [
      'pause',
      'stop firing a job (runs in progress go on)',
      async (ref: string, o: object) => (await actions()).setJobEnabled(ref, false, o),
    ],
    [
      'resume',
      'fire a paused job again, from now on',
      async (ref: string, o: object) => (await actions()).setJobEnabled(ref, true, o),
    ],
  ] as const) {
    connection(jobs.command(name).description(description).argument('<job>', 'job id or name')).action(
      async (ref: string, options: object) => setExit(await action(ref, options)),
    );
  }
}
