import fs from 'node:fs/promises';
import { ERROR_CODES, isStepflowError, StepflowError } from '../../core/errors.js';
import { dependencyLevels } from '../../core/pipelines/dependency-levels.js';
import { parsePipelineYaml, type PipelineProblem } from '../../core/pipelines/parse-pipeline-yaml.js';
import type { SavedPipelineBody } from '../../protocol/pipeline-file-schemas.js';
import { colorsFor, formatTime, printable, table } from '../format.js';
import { requestJson, resolveServer } from '../jobs/jobs-api-client.js';

export interface PipelineFileOptions {
  server?: string;
  token?: string;
  json?: boolean;
}

const out = (text: string) => void process.stdout.write(text);
const printJson = (value: unknown) => out(`${JSON.stringify(value, null, 2)}\n`);

/** `stepflow pipeline validate FILE`: 0 and the figures, or 1 and each problem where it is. */
export async function validatePipelineFile(file: string): Promise<number> {
  const text = await readPipelineFile(file);
  try {
    const definition = parsePipelineYaml(text);
    const levels = Math.max(-1, ...dependencyLevels(definition).values()) + 1;
    const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
    out(`ok: ${plural(definition.nodes.length, 'node')}, ${plural(levels, 'level')}\n`);
    return 0;
  } catch (error) {
    return reportProblems(file, error);
  }
}

export async function listPipelines(options: PipelineFileOptions): Promise<number> {
  const { items } = await requestJson<{ items: Omit<SavedPipelineBody, 'yaml'>[] }>(
    resolveServer(options),
    'GET',
    '/api/pipelines',
  );
  if (options.json) {
    printJson(items);
    return 0;
  }
  if (items.length === 0) {
    out('No saved pipelines yet. Save one with: stepflow pipeline save <file.yml>\n');
    return 0;
  }
  const c = colorsFor(process.stdout);
  const figure = (value: number | null) => (value === null ? c.yellow('invalid') : String(value));
  const rows = items.map((item) => [
    printable(item.name),
    figure(item.nodes),
    figure(item.levels),
    formatTime(item.updatedAt),
  ]);
  out(table([['NAME', 'NODES', 'LEVELS', 'UPDATED'].map((h) => c.dim(h)), ...rows]));
  return 0;
}

export async function showPipeline(name: string, options: PipelineFileOptions): Promise<number> {
  const saved = await requestJson<SavedPipelineBody>(resolveServer(options), 'GET', pipelinePath(name));
  if (options.json) printJson(saved);
  else out(printable(saved.yaml.endsWith('\n') ? saved.yaml : `${saved.yaml}\n`, { multiline: true }));
  return 0;
}

/** Checked here first, so problems name the file's lines before anything is sent. */
export async function savePipeline(file: string, options: PipelineFileOptions): Promise<number> {
  const yaml = await readPipelineFile(file);
  let name: string;
  try {
    ({ name } = parsePipelineYaml(yaml));
  } catch (error) {
    return reportProblems(file, error);
  }
  let saved: SavedPipelineBody;
  try {
    saved = await requestJson<SavedPipelineBody>(resolveServer(options), 'PUT', pipelinePath(name), { yaml });
  } catch (error) {
    // A server with other rules (another version) names its own problems: shown the same way.
    return reportProblems(file, error);
  }
  if (options.json) printJson(saved);
  else
    out(
      `saved pipeline ${printable(saved.name)}: ${saved.nodes ?? '?'} nodes, ${saved.levels ?? '?'} levels\n`,
    );
  return 0;
}

export async function removePipeline(name: string, options: PipelineFileOptions): Promise<number> {
  await requestJson<null>(resolveServer(options), 'DELETE', pipelinePath(name));
  out(`deleted pipeline ${printable(name)}\n`);
  return 0;
}

const pipelinePath = (name: string) => `/api/pipelines/${encodeURIComponent(name)}`;

async function readPipelineFile(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new StepflowError(
      ERROR_CODES.USAGE,
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/**
 * A parser's or server's refusal with problems: each as `FILE:LINE:COLUMN: message` on stderr
 * (the form editors and terminals link), exit 1. Anything else is not a problem of the file.
 */
function reportProblems(file: string, error: unknown): number {
  const problems = isStepflowError(error)
    ? (error.details as { problems?: PipelineProblem[] } | undefined)?.problems
    : undefined;
  if (!Array.isArray(problems)) throw error;
  const shown = file === '-' ? '<stdin>' : file;
  for (const { line, column, message } of problems) {
    process.stderr.write(`${printable(shown)}:${line}:${column}: ${printable(message)}\n`);
  }
  return 1;
}
