import type { Command } from 'commander';
import type { PipelineFileOptions } from './pipeline-file-actions.js';

/** The actions load when a pipeline command runs, not on every `stepflow` start (docs/PERFORMANCE.md). */
const actions = () => import('./pipeline-file-actions.js');

/**
 * `stepflow pipeline validate|ls|show|save|rm` (docs/PIPELINES.md). `validate` checks a file here,
 * with no server; the others are clients of a running server's /api/pipelines. They go under the
 * `pipeline` command when one is registered already (its `run` lives elsewhere), else under a new one.
 */
export function registerPipelineFileCommands(program: Command, setExit: (code: number) => void): void {
  const pipeline =
    program.commands.find((command) => command.name() === 'pipeline') ??
    program
      .command('pipeline')
      .description('pipeline files and saved pipelines (docs/PIPELINES.md)')
      .enablePositionalOptions();

  const connection = (command: Command): Command =>
    command
      .option('--server <url>', 'StepFlow server URL (or STEPFLOW_SERVER)')
      .option('--token <token>', 'bearer token (better: STEPFLOW_TOKEN, not shown by ps)');

  pipeline
    .command('validate')
    .description(
      'check a pipeline file: "ok: N nodes, M levels", or each problem as FILE:LINE:COLUMN: message',
    )
    .argument('<file>', "the pipeline file (YAML); '-' reads stdin")
    .action(async (file: string) => setExit(await (await actions()).validatePipelineFile(file)));

  connection(pipeline.command('ls'))
    .description('the saved pipelines on the server, by name')
    .option('--json', 'print JSON (the API shape)')
    .action(async (options: PipelineFileOptions) => setExit(await (await actions()).listPipelines(options)));

  connection(pipeline.command('show'))
    .description("a saved pipeline's YAML text")
    .argument('<name>', 'the pipeline name')
    .option('--json', 'print JSON (the API shape)')
    .action(async (name: string, options: PipelineFileOptions) =>
      setExit(await (await actions()).showPipeline(name, options)),
    );

  connection(pipeline.command('save'))
    .description('save a pipeline file on the server under its name, creating or replacing it')
    .argument('<file>', "the pipeline file (YAML); '-' reads stdin")
    .option('--json', 'print JSON (the API shape)')
    .action(async (file: string, options: PipelineFileOptions) =>
      setExit(await (await actions()).savePipeline(file, options)),
    );

  connection(pipeline.command('rm'))
    .description('delete a saved pipeline')
    .argument('<name>', 'the pipeline name')
    .action(async (name: string, options: PipelineFileOptions) =>
      setExit(await (await actions()).removePipeline(name, options)),
    );
}
