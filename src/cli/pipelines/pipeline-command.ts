import type { Command } from 'commander';
import type { PipelineRunOptions } from './pipeline-run-command.js';

/** `stepflow pipeline run`: a client of a running server's /api/pipelines (docs/PIPELINES-RUNNING.md). */
export function registerPipelineCommand(program: Command, setExit: (code: number) => void): Command {
  const pipeline = program
    .command('pipeline')
    .description(
      'run pipeline files on a StepFlow server (--server, STEPFLOW_SERVER, default http://127.0.0.1:8080)',
    )
    .enablePositionalOptions();
  pipeline
    .command('run')
    .description(
      'start a run of a pipeline file; --follow shows its nodes live and exits 0 only if it succeeded',
    )
    .argument('<file>', 'the pipeline file (YAML)')
    .option('--follow', 'show the nodes and their steps until the run ends (Ctrl-C cancels it: exit 130)')
    .option('--server <url>', 'StepFlow server URL (or STEPFLOW_SERVER)')
    .option('--token <token>', 'bearer token (better: STEPFLOW_TOKEN, not shown by ps)')
    .option('--json', 'print the run as JSON (the API shape)')
    .action(async (file: string, options: PipelineRunOptions) => {
      const { pipelineRunCommand } = await import('./pipeline-run-command.js');
      setExit(await pipelineRunCommand(file, options));
    });
  return pipeline;
}
