import { parse } from 'yaml';
import { validationError } from '../errors.js';
import {
  NODE_CONDITIONS,
  type NodeCondition,
  type PipelineDefinition,
  type PipelineNode,
} from './pipeline-definition.js';

/**
 * A minimal stand-in for the pipeline file parser (pipe-def writes the real one, with line and
 * column for every problem): maps the YAML keys to {@link PipelineDefinition} and refuses what it
 * cannot map with a `validation_failed` error.
 */
export function parsePipelineYaml(text: string): PipelineDefinition {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw problem('', error instanceof Error ? error.message : String(error));
  }
  const root = record(doc, '');
  const nodesDoc = record(root.nodes, 'nodes');
  const nodes = Object.entries(nodesDoc).map(([name, value]) => nodeOf(name, record(value, `nodes.${name}`)));
  const names = new Set(nodes.map((node) => node.name));
  for (const node of nodes) {
    for (const need of node.needs) {
      if (!names.has(need)) throw problem(`nodes.${node.name}.needs`, `unknown node ${JSON.stringify(need)}`);
    }
  }
  if (typeof root.name !== 'string' || root.name === '') throw problem('name', 'name is required');
  const warnings = root.warnings === undefined ? undefined : record(root.warnings, 'warnings');
  return {
    name: root.name,
    env: stringMap(root.env, 'env'),
    ...(typeof root.cwd === 'string' ? { cwd: root.cwd } : {}),
    ...(typeof root.concurrency === 'number' ? { concurrency: root.concurrency } : {}),
    nodes,
    ...(warnings === undefined
      ? {}
      : {
          warnings: {
            warnAfterSeconds: numberOr(warnings.warnAfter, 5),
            criticalAfterSeconds: numberOr(warnings.criticalAfter, 30),
          },
        }),
  };
}

function nodeOf(name: string, doc: Record<string, unknown>): PipelineNode {
  const at = `nodes.${name}`;
  const retry = doc.retry === undefined ? {} : record(doc.retry, `${at}.retry`);
  const condition = doc.if ?? 'success';
  if (!(NODE_CONDITIONS as readonly unknown[]).includes(condition)) {
    throw problem(`${at}.if`, `if must be one of ${NODE_CONDITIONS.join(', ')}`);
  }
  if (typeof doc.run !== 'string' && !Array.isArray(doc.argv)) throw problem(at, 'run or argv is required');
  return {
    name,
    ...(typeof doc.run === 'string' ? { command: doc.run } : { argv: (doc.argv as unknown[]).map(String) }),
    ...(typeof doc.cwd === 'string' ? { cwd: doc.cwd } : {}),
    env: stringMap(doc.env, `${at}.env`),
    needs: Array.isArray(doc.needs) ? doc.needs.map(String) : [],
    if: condition as NodeCondition,
    ...(typeof doc.timeout === 'number' ? { timeoutSeconds: doc.timeout } : {}),
    retry: { max: numberOr(retry.max, 0), delaySeconds: numberOr(retry.delay, 0) },
    runsOn: Array.isArray(doc.runsOn) ? doc.runsOn.map(String) : [],
    continueOnError: doc.continueOnError === true,
  };
}

function record(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw problem(path, `${path || 'the file'} must be a mapping`);
  }
  return value as Record<string, unknown>;
}

function stringMap(value: unknown, path: string): Record<string, string> {
  if (value === undefined) return {};
  return Object.fromEntries(Object.entries(record(value, path)).map(([key, v]) => [key, String(v)]));
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

function problem(path: string, message: string) {
  return validationError(message, { problems: [{ path, line: 1, column: 1, message }] });
}
