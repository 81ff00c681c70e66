import fs from 'node:fs/promises';
import path from 'node:path';
import { ERROR_CODES, StepflowError, isStepflowError } from '../../core/errors.js';
import type { ExecutionDetailBody } from '../../protocol/api-schemas.js';
import type { PipelineRunJson } from '../../protocol/pipeline-json.js';
import { colorsFor } from '../format.js';
import { requestJson, resolveServer, type ServerTarget } from '../jobs/jobs-api-client.js';
import { createPlainReporter, createTtyPainter, nodeLines, summaryLine } from './pipeline-view.js';

export interface PipelineRunOptions {
  server?: string;
  token?: string;
  follow?: boolean;
  json?: boolean;
}

const EXIT_CANCELLED = 130;
/** How often --follow reads the run (and the current step of each running node). */
const FOLLOW_POLL_MS = 300;
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * `stepflow pipeline run file.yml`: submits the file to the server; with --follow, shows the nodes
 * live until the run ends. Exit 0 when it succeeded, 1 when it failed or was cancelled elsewhere,
 * 130 on Ctrl-C (which cancels it).
 */
export async function pipelineRunCommand(file: string, options: PipelineRunOptions): Promise<number> {
  const target = resolveServer(options);
  let yaml: string;
  try {
    yaml = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new StepflowError(ERROR_CODES.USAGE, `cannot read ${file}: ${(error as Error).message}`);
  }
  let run: PipelineRunJson;
  try {
    run = await requestJson<PipelineRunJson>(target, 'POST', '/api/pipelines/runs', { yaml });
  } catch (error) {
    printProblems(file, error);
    throw error;
  }
  if (!options.follow) {
    process.stdout.write(options.json ? `${JSON.stringify(run, null, 2)}\n` : `${run.id}\n`);
    return 0;
  }
  return follow(target, run, options);
}

/** The parser's problems, one `file:line:column: message` each, before the error line. */
function printProblems(file: string, error: unknown): void {
  if (!isStepflowError(error) || error.code !== ERROR_CODES.VALIDATION) return;
  const problems = (
    error.details as { problems?: { line: number; column: number; message: string }[] } | undefined
  )?.problems;
  for (const problem of problems ?? []) {
    process.stderr.write(`${path.basename(file)}:${problem.line}:${problem.column}: ${problem.message}\n`);
  }
}

async function follow(
  target: ServerTarget,
  first: PipelineRunJson,
  options: PipelineRunOptions,
): Promise<number> {
  const tty = Boolean(process.stdout.isTTY) && !options.json;
  const c = colorsFor(process.stdout);
  const write = (text: string) => void process.stdout.write(text);
  const painter = createTtyPainter(write);
  const plain = createPlainReporter(write);
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) return;
    interrupted = true;
    // Ctrl-C cancels the run on the server; the loop below shows it ending.
    requestJson(target, 'POST', `/api/pipelines/runs/${first.id}/cancel`).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  process.stderr.write(`pipeline ${first.name}: run ${first.id}\n`);
  try {
    let run = first;
    for (;;) {
      const steps = await currentSteps(target, run);
      if (tty) painter.draw(nodeLines(run, steps, c));
      else if (!options.json) plain.report(run, steps);
      if (FINAL.has(run.status)) break;
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
      run = await requestJson<PipelineRunJson>(target, 'GET', `/api/pipelines/runs/${first.id}`);
    }
    if (options.json) write(`${JSON.stringify(run, null, 2)}\n`);
    else write(`${summaryLine(run, c)}\n`);
    if (interrupted) return EXIT_CANCELLED;
    return run.status === 'succeeded' ? 0 : 1;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The innermost running step of each running node's execution. */
async function currentSteps(target: ServerTarget, run: PipelineRunJson): Promise<Map<string, string>> {
  const steps = new Map<string, string>();
  const running = run.nodes.filter((node) => node.status === 'running' && node.executionId !== null);
  await Promise.all(
    running.map(async (node) => {
      const execution = await requestJson<ExecutionDetailBody>(
        target,
        'GET',
        `/api/executions/${node.executionId}`,
      );
      const step = execution.steps.filter((s) => s.status === 'running' && !s.implicit).at(-1);
      if (step !== undefined) steps.set(node.name, step.name);
    }),
  );
  return steps;
}
