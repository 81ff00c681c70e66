import {
  MAX_ARG_LENGTH,
  MAX_ARGV_ITEMS,
  MAX_COMMAND_LENGTH,
  MAX_CONCURRENT_RUNS,
  MAX_ENV_VARIABLES,
  MAX_PATH_LENGTH,
  MAX_RETRY_ATTEMPTS,
  MAX_RETRY_DELAY_SECONDS,
  MAX_TIMEOUT_SECONDS,
} from '../input-limits.js';
import { LABEL_PATTERN } from '../workers.js';
import { NODE_CONDITIONS } from './pipeline-definition.js';
import type { NODE_KEYS, PIPELINE_KEYS } from './parse-pipeline-yaml.js';
import {
  ENV_NAME_PATTERN,
  MAX_PIPELINE_NODES,
  NODE_NAME_PATTERN,
  PIPELINE_NAME_PATTERN,
} from './parse-pipeline-yaml.js';

/** Not blank: what the parser means by "must not be empty". */
const NOT_BLANK = '\\S';

const env = {
  type: 'object',
  description: 'Environment variables; numbers and booleans are taken as written.',
  maxProperties: MAX_ENV_VARIABLES,
  propertyNames: { pattern: ENV_NAME_PATTERN },
  additionalProperties: { type: ['string', 'number', 'boolean'], maxLength: MAX_ARG_LENGTH },
};

const path = { type: 'string', pattern: NOT_BLANK, maxLength: MAX_PATH_LENGTH };

const textOrList = (item: object, maxItems: number) => ({
  oneOf: [item, { type: 'array', items: item, maxItems }],
});

const node = {
  type: 'object',
  description: 'One command, run as an ordinary execution; exactly one of `run` and `argv`.',
  additionalProperties: false,
  oneOf: [{ required: ['run'] }, { required: ['argv'] }],
  properties: {
    run: {
      type: 'string',
      description: 'A shell command (sh -c).',
      pattern: NOT_BLANK,
      maxLength: MAX_COMMAND_LENGTH,
    },
    argv: {
      type: 'array',
      description: 'A program and its arguments, run without a shell (numbers taken as written).',
      minItems: 1,
      maxItems: MAX_ARGV_ITEMS,
      items: { type: ['string', 'number', 'boolean'], maxLength: MAX_ARG_LENGTH },
    },
    cwd: { ...path, description: "Relative to the pipeline's cwd when not absolute." },
    env: { ...env, description: "Over the pipeline's env." },
    needs: {
      description: 'Nodes that must end first (one name or a list).',
      ...textOrList({ type: ['string', 'number'], pattern: NODE_NAME_PATTERN }, MAX_PIPELINE_NODES),
    },
    if: {
      enum: [...NODE_CONDITIONS],
      description: 'success (default): all needs succeeded; failure: one failed; always.',
    },
    timeout: {
      type: 'number',
      description: 'Seconds.',
      exclusiveMinimum: 0,
      maximum: MAX_TIMEOUT_SECONDS,
    },
    retry: {
      description: 'Attempts after the first, or `{ max, delay }` (delay in seconds, default 0).',
      oneOf: [
        { type: 'integer', minimum: 0, maximum: MAX_RETRY_ATTEMPTS },
        {
          type: 'object',
          additionalProperties: false,
          required: ['max'],
          properties: {
            max: { type: 'integer', minimum: 0, maximum: MAX_RETRY_ATTEMPTS },
            delay: { type: 'number', minimum: 0, maximum: MAX_RETRY_DELAY_SECONDS },
          },
        },
      ],
    },
    runsOn: {
      description: 'Worker labels the node needs (one or a list).',
      ...textOrList({ type: ['string', 'number'], pattern: LABEL_PATTERN }, 32),
    },
    continueOnError: {
      type: 'boolean',
      description: "A failure counts as success for the node's dependants.",
    },
  } satisfies Record<(typeof NODE_KEYS)[number], object>,
};

/**
 * The pipeline file's JSON Schema (draft-07, what editors' YAML plug-ins read), served at
 * `GET /api/pipelines/schema`. What a schema cannot say — `needs` naming a node of the file, no
 * cycles, a key given twice — only the parser checks; a test keeps the two in step on the docs'
 * examples and a list of bad files.
 */
export const PIPELINE_JSON_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'StepFlow pipeline',
  description: 'A pipeline file (docs/PIPELINES.md).',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'nodes'],
  properties: {
    name: {
      type: 'string',
      description: 'The key of a saved pipeline.',
      pattern: PIPELINE_NAME_PATTERN,
    },
    env: { ...env, description: 'Variables every node gets.' },
    cwd: { ...path, description: "Where nodes run (default: the submitter's working directory)." },
    concurrency: {
      type: 'integer',
      description: 'Nodes running at once in one run.',
      minimum: 1,
      maximum: MAX_CONCURRENT_RUNS,
    },
    warnings: {
      type: 'object',
      description: 'Performance warnings for a node running long, in seconds (defaults 5 and 30).',
      additionalProperties: false,
      properties: {
        warnAfter: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 },
        criticalAfter: { type: 'number', exclusiveMinimum: 0, maximum: 86_400 },
      },
    },
    nodes: {
      type: 'object',
      description: 'The nodes, by name, in the order shown.',
      minProperties: 1,
      maxProperties: MAX_PIPELINE_NODES,
      propertyNames: { pattern: NODE_NAME_PATTERN },
      additionalProperties: node,
    },
  } satisfies Record<(typeof PIPELINE_KEYS)[number], object>,
} as const;
