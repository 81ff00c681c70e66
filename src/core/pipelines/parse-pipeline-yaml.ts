import { createRequire } from 'node:module';
import type * as YamlLibrary from 'yaml';
import type { Document, LineCounter, Node as YamlNode } from 'yaml';
import { StepflowError, ERROR_CODES } from '../errors.js';
import {
  MAX_ARG_LENGTH,
  MAX_ARGV_ITEMS,
  MAX_COMMAND_LENGTH,
  MAX_CONCURRENT_RUNS,
  MAX_ENV_NAME_LENGTH,
  MAX_ENV_VARIABLES,
  MAX_PATH_LENGTH,
  MAX_RETRY_ATTEMPTS,
  MAX_RETRY_DELAY_SECONDS,
  MAX_TIMEOUT_SECONDS,
} from '../input-limits.js';
import { normalizeLabels } from '../workers.js';
import { findCycles } from './dependency-levels.js';
import { envPart } from './needs-env.js';
import { nearestName } from './nearest-name.js';
import {
  NODE_CONDITIONS,
  type NodeCondition,
  type PipelineDefinition,
  type PipelineNode,
  type PipelineNodeRetry,
  type PipelineWarnings,
} from './pipeline-definition.js';
import { DEFAULT_CRITICAL_AFTER_SECONDS, DEFAULT_WARN_AFTER_SECONDS } from './node-timing.js';

/**
 * The `yaml` package is some 70 CommonJS files, about 30 ms to load, and every StepFlow process
 * builds the saved pipelines' checker while few ever parse a pipeline (a `stepflow run` never
 * does): it is loaded at the first parse. With `require`, as the parse is synchronous (its callers
 * are) and the package is CommonJS; an `import` of it loads the same files.
 */
const requireHere = createRequire(import.meta.url);
let yamlLibrary: typeof YamlLibrary | undefined;
const yaml = (): typeof YamlLibrary => (yamlLibrary ??= requireHere('yaml') as typeof YamlLibrary);

/** One thing wrong with a pipeline file: where (YAML path, 1-based line and column) and what. */
export interface PipelineProblem {
  /** `nodes.train.needs[1]`; empty for the file as a whole. */
  path: string;
  line: number;
  column: number;
  /** Names the path and, for a misspelling, the nearest known name. */
  message: string;
}

/** Far above a real pipeline, far below what slows a server down to check (docs/PIPELINES.md). */
export const MAX_PIPELINE_NODES = 500;
/**
 * The YAML text, in UTF-16 code units: 256 Ki, some 500 bytes for each of 500 nodes. Parsing costs
 * about 20 µs per scalar on a busy server, so this also bounds what one request can cost (~1 s).
 */
export const MAX_PIPELINE_YAML_LENGTH = 262_144;
/** A pipeline's name is the key of a saved pipeline and goes into URLs: plain characters. */
export const PIPELINE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$';
/** A node's name becomes part of environment variable names (`STEPFLOW_NEEDS_<NODE>_<KEY>`). */
export const NODE_NAME_PATTERN = '^[A-Za-z0-9_-]{1,100}$';
/** An environment variable name as POSIX shells accept it. */
export const ENV_NAME_PATTERN = `^[A-Za-z_][A-Za-z0-9_]{0,${MAX_ENV_NAME_LENGTH - 1}}$`;

export const PIPELINE_KEYS = ['name', 'env', 'cwd', 'concurrency', 'warnings', 'nodes'] as const;
export const NODE_KEYS = [
  'run',
  'argv',
  'cwd',
  'env',
  'needs',
  'if',
  'timeout',
  'retry',
  'runsOn',
  'continueOnError',
] as const;
const RETRY_KEYS = ['max', 'delay'] as const;
const WARNINGS_KEYS = ['warnAfter', 'criticalAfter'] as const;
/** A day: a node running longer than that without a warning has no use for one. */
const MAX_WARNING_SECONDS = 86_400;
/** Problems reported for one file: the first ones, and a count of the rest (a file can have thousands). */
const MAX_PROBLEMS = 100;
/** A cycle longer than this is named by its ends: the message stays readable. */
const MAX_CYCLE_SHOWN = 20;
const NODE_NAME = new RegExp(NODE_NAME_PATTERN);
const ENV_NAME = new RegExp(ENV_NAME_PATTERN);
/** Aliases resolved in one file: enough to share an `env` block, too few to blow up (billion laughs). */
const MAX_ALIASES = 100;

/**
 * Parses and checks a pipeline file (docs/PIPELINES.md). Every problem is collected, not only the
 * first: YAML syntax, unknown keys (with the nearest known one), wrong types and ranges, duplicate
 * keys and node names, `needs` naming no node or the node itself, cycles (named in order, at the
 * `needs` entry that closes them). Throws a `validation_failed` StepflowError whose details are
 * `{ problems: PipelineProblem[] }`, in file order.
 */
export function parsePipelineYaml(text: string): PipelineDefinition {
  const { definition, problems } = checkPipelineYaml(text);
  if (definition !== undefined) return definition;
  const [first] = problems;
  const summary =
    problems.length === 1 && first
      ? `invalid pipeline: line ${first.line}, column ${first.column}: ${first.message}`
      : `invalid pipeline: ${problems.length} problems, the first at line ${first?.line ?? 1}, column ${first?.column ?? 1}: ${first?.message ?? ''}`;
  throw new StepflowError(ERROR_CODES.VALIDATION, summary, { details: { problems } });
}

function checkPipelineYaml(text: string): { definition?: PipelineDefinition; problems: PipelineProblem[] } {
  if (text.length > MAX_PIPELINE_YAML_LENGTH) {
    const message = `the file is ${text.length} characters long; at most ${MAX_PIPELINE_YAML_LENGTH} are allowed`;
    return { problems: [{ path: '', line: 1, column: 1, message }] };
  }
  const lineCounter = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
  const reader = new Reader(doc, lineCounter);
  if (doc.errors.length > 0) {
    // A broken tree would only add noise: the syntax errors alone, each where the parser saw it.
    for (const error of doc.errors) reader.problemAt(error.pos[0], '', error.message);
    return { problems: reader.sorted() };
  }
  const definition = reader.pipeline(doc.contents);
  const problems = reader.sorted();
  return problems.length === 0 && definition ? { definition, problems } : { problems };
}

interface Entry {
  key: string;
  keyNode: YamlNode;
  value: YamlNode | null;
  path: string;
}

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
const quote = (name: string): string => `\`${name}\``;

/** Walks the YAML tree, reading the definition and recording problems with their positions. */
class Reader {
  private readonly problems: PipelineProblem[] = [];
  /** Problems past what is kept: counted only, so a hostile file costs no more than a bad one. */
  private dropped = 0;
  private aliases = 0;
  /** Aliases already reported (unknown, over the limit): nothing more is said about them. */
  private readonly badAliases = new WeakSet<YamlNode>();

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** In file order; past {@link MAX_PROBLEMS}, one last problem says how many more there are. */
  sorted(): PipelineProblem[] {
    const sorted = this.problems.sort((a, b) => a.line - b.line || a.column - b.column);
    if (sorted.length <= MAX_PROBLEMS) return sorted;
    const shown = sorted.slice(0, MAX_PROBLEMS);
    const next = sorted[MAX_PROBLEMS];
    const rest = sorted.length + this.dropped - MAX_PROBLEMS;
    const message = `and ${rest} more problem${rest === 1 ? '' : 's'}: fix these first`;
    return [...shown, { path: '', line: next?.line ?? 1, column: next?.column ?? 1, message }];
  }

  /** Whether enough problems are kept already: hints (edit distances) are not worth computing. */
  get full(): boolean {
    return this.problems.length >= 2 * MAX_PROBLEMS;
  }

  problemAt(offset: number, path: string, message: string): void {
    if (this.full) {
      this.dropped++;
      return;
    }
    const { line, col } = this.lines.linePos(offset);
    this.problems.push({ path, line, column: col, message: path === '' ? message : `${path}: ${message}` });
  }

  private problem(node: YamlNode | null | undefined, path: string, message: string): void {
    if (node && this.badAliases.has(node)) return;
    this.problemAt(node?.range?.[0] ?? 0, path, message);
  }

  pipeline(root: YamlNode | null): PipelineDefinition | undefined {
    if (root === null || (yaml().isScalar(root) && (root.value === null || root.value === ''))) {
      this.problem(root, '', 'the file is empty: a pipeline needs `name` and `nodes`');
      return undefined;
    }
    const entries = this.entries(root, '', PIPELINE_KEYS);
    if (entries === undefined) return undefined;
    const get = (key: string) => entries.find((entry) => entry.key === key);
    const name = this.required(get('name'), root, 'name', (entry) =>
      this.text(entry, {
        pattern: PIPELINE_NAME_PATTERN,
        what: '1-100 letters, digits, `.`, `_` or `-`, starting with a letter or digit',
      }),
    );
    const env = this.env(get('env')) ?? {};
    const cwd = this.path(get('cwd'));
    const concurrency = this.integer(get('concurrency'), 1, MAX_CONCURRENT_RUNS);
    const warnings = this.warnings(get('warnings'));
    const nodes = this.required(get('nodes'), root, 'nodes', (entry) => this.nodes(entry, env));
    if (name === undefined || nodes === undefined) return undefined;
    return {
      name,
      env,
      ...(cwd === undefined ? {} : { cwd }),
      ...(concurrency === undefined ? {} : { concurrency }),
      ...(warnings === undefined ? {} : { warnings }),
      nodes,
    };
  }

  private nodes(entry: Entry, pipelineEnv: Record<string, string>): PipelineNode[] | undefined {
    const entries = this.entries(entry.value, entry.path, undefined, entry.keyNode);
    if (entries === undefined) return undefined;
    if (entries.length === 0) {
      this.problem(entry.value ?? entry.keyNode, entry.path, 'a pipeline needs at least one node');
      return undefined;
    }
    if (entries.length > MAX_PIPELINE_NODES) {
      this.problem(
        entry.value,
        entry.path,
        `${entries.length} nodes; at most ${MAX_PIPELINE_NODES} are allowed`,
      );
    }
    const names = new Set(entries.map((node) => node.key));
    // Outputs reach dependants as STEPFLOW_NEEDS_<NODE>_<KEY>: two names giving one <NODE> would mix them.
    const byVariable = new Map<string, string>();
    for (const nodeEntry of entries) {
      const part = envPart(nodeEntry.key);
      const first = byVariable.get(part);
      if (first === undefined) byVariable.set(part, nodeEntry.key);
      else if (first !== nodeEntry.key) {
        this.problem(
          nodeEntry.keyNode,
          nodeEntry.path,
          `${quote(nodeEntry.key)} and ${quote(first)} both give the variables STEPFLOW_NEEDS_${part}_*: rename one`,
        );
      }
    }
    const nodes: PipelineNode[] = [];
    const needEntries = new Map<string, YamlNode[]>();
    for (const nodeEntry of entries) {
      if (!NODE_NAME.test(nodeEntry.key)) {
        this.problem(
          nodeEntry.keyNode,
          nodeEntry.path,
          `${quote(nodeEntry.key)} is not a node name: 1-100 letters, digits, \`_\` or \`-\` (it becomes part of environment variable names)`,
        );
      }
      const node = this.node(nodeEntry, names, pipelineEnv, needEntries);
      if (node) nodes.push(node);
    }
    for (const { path, needIndex } of findCycles(nodes, { limit: MAX_PROBLEMS + 1 })) {
      const closer = path.at(-2) ?? '';
      const at = needEntries.get(closer)?.[needIndex];
      const shown =
        path.length > MAX_CYCLE_SHOWN
          ? [
              ...path.slice(0, MAX_CYCLE_SHOWN / 2),
              `… ${path.length - MAX_CYCLE_SHOWN} more …`,
              ...path.slice(-MAX_CYCLE_SHOWN / 2),
            ]
          : path;
      this.problem(at, `nodes.${closer}.needs[${needIndex}]`, `cycle: ${shown.join(' → ')}`);
    }
    if (nodes.length !== entries.length) return undefined;
    return nodes.map((node) => ({ ...node, needs: [...new Set(node.needs)] }));
  }

  private node(
    entry: Entry,
    names: ReadonlySet<string>,
    pipelineEnv: Record<string, string>,
    needEntries: Map<string, YamlNode[]>,
  ): PipelineNode | undefined {
    const entries = this.entries(entry.value, entry.path, NODE_KEYS, entry.keyNode);
    if (entries === undefined) return undefined;
    const get = (key: string) => entries.find((child) => child.key === key);
    const run = get('run');
    const argvEntry = get('argv');
    if ((run === undefined) === (argvEntry === undefined)) {
      this.problem(
        run === undefined ? entry.keyNode : (argvEntry?.keyNode ?? entry.keyNode),
        entry.path,
        run === undefined
          ? 'needs `run` (a shell command) or `argv` (a list)'
          : 'give `run` or `argv`, not both',
      );
    }
    const command = this.text(run, { max: MAX_COMMAND_LENGTH });
    const argv = this.argv(argvEntry);
    const cwd = this.path(get('cwd'));
    const env = this.env(get('env'));
    const needs = this.needs(get('needs'), entry.key, names, needEntries);
    const condition = this.condition(get('if'));
    const timeoutSeconds = this.number(get('timeout'), {
      min: 0,
      exclusiveMin: true,
      max: MAX_TIMEOUT_SECONDS,
    });
    const retry = this.retry(get('retry'));
    const runsOn = this.labels(get('runsOn'));
    const continueOnError = this.boolean(get('continueOnError'));
    if (command === undefined && argv === undefined) return undefined;
    return {
      name: entry.key,
      ...(command === undefined ? {} : { command }),
      ...(argv === undefined ? {} : { argv }),
      ...(cwd === undefined ? {} : { cwd }),
      env: { ...pipelineEnv, ...env },
      needs: needs ?? [],
      if: condition ?? 'success',
      ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
      retry: retry ?? { max: 0, delaySeconds: 0 },
      runsOn: runsOn ?? [],
      continueOnError: continueOnError ?? false,
    };
  }

  private needs(
    entry: Entry | undefined,
    self: string,
    names: ReadonlySet<string>,
    needEntries: Map<string, YamlNode[]>,
  ): string[] | undefined {
    const items = this.stringList(entry, { max: MAX_PIPELINE_NODES });
    if (items === undefined) return undefined;
    needEntries.set(
      self,
      items.map((item) => item.node),
    );
    for (const { value, node, path } of items) {
      if (value === self) {
        this.problem(node, path, `node ${quote(self)} needs itself`);
      } else if (!names.has(value)) {
        const hint = this.full ? undefined : nearestName(value, names);
        this.problem(
          node,
          path,
          `unknown node ${quote(value)}${hint ? ` (did you mean ${quote(hint)}?)` : ''}`,
        );
      }
    }
    // All of them, in file order, so the cycle check's indexes are the file's; duplicates go later.
    const needs = items.map((item) => item.value);
    return needs;
  }

  private condition(entry: Entry | undefined): NodeCondition | undefined {
    if (entry === undefined) return undefined;
    const value = this.text(entry, {});
    if (value === undefined) return undefined;
    if ((NODE_CONDITIONS as readonly string[]).includes(value)) return value as NodeCondition;
    this.problem(
      entry.value,
      entry.path,
      `must be one of ${NODE_CONDITIONS.join(', ')}, got ${JSON.stringify(value)}`,
    );
    return undefined;
  }

  /** `warnings: { warnAfter, criticalAfter }` in seconds; a missing one keeps its default. */
  private warnings(entry: Entry | undefined): PipelineWarnings | undefined {
    if (entry === undefined) return undefined;
    const entries = this.entries(entry.value, entry.path, WARNINGS_KEYS, entry.keyNode);
    if (entries === undefined) return undefined;
    const seconds = (key: string) =>
      this.number(
        entries.find((child) => child.key === key),
        { min: 0, max: MAX_WARNING_SECONDS, exclusiveMin: true },
      );
    const warnAfterSeconds = seconds('warnAfter') ?? DEFAULT_WARN_AFTER_SECONDS;
    const criticalAfterSeconds = seconds('criticalAfter') ?? DEFAULT_CRITICAL_AFTER_SECONDS;
    if (criticalAfterSeconds <= warnAfterSeconds) {
      this.problem(
        entry.value,
        entry.path,
        `criticalAfter (${criticalAfterSeconds} s) must be more than warnAfter (${warnAfterSeconds} s)`,
      );
      return undefined;
    }
    return { warnAfterSeconds, criticalAfterSeconds };
  }

  private retry(entry: Entry | undefined): PipelineNodeRetry | undefined {
    if (entry === undefined) return undefined;
    const value = this.resolve(entry.value, entry.path);
    if (yaml().isScalar(value) && typeof value.value === 'number') {
      const max = this.integer(entry, 0, MAX_RETRY_ATTEMPTS);
      return max === undefined ? undefined : { max, delaySeconds: 0 };
    }
    if (!yaml().isMap(value)) {
      this.problem(value ?? entry.keyNode, entry.path, 'must be a number of attempts or `{ max, delay }`');
      return undefined;
    }
    const entries = this.entries(value, entry.path, RETRY_KEYS, entry.keyNode);
    if (entries === undefined) return undefined;
    const maxEntry = entries.find((child) => child.key === 'max');
    const max = this.required(maxEntry, value, join(entry.path, 'max'), (child) =>
      this.integer(child, 0, MAX_RETRY_ATTEMPTS),
    );
    const delaySeconds = this.number(
      entries.find((child) => child.key === 'delay'),
      { min: 0, max: MAX_RETRY_DELAY_SECONDS },
    );
    return max === undefined ? undefined : { max, delaySeconds: delaySeconds ?? 0 };
  }

  private labels(entry: Entry | undefined): string[] | undefined {
    const items = this.stringList(entry, { max: 32 });
    if (items === undefined || entry === undefined) return undefined;
    try {
      return normalizeLabels(
        items.map((item) => item.value),
        entry.path,
      );
    } catch (error) {
      // The label rule lives in core/workers.ts; its message already names the field.
      if (!(error instanceof StepflowError)) throw error;
      this.problem(entry.value, '', error.message);
      return undefined;
    }
  }

  private argv(entry: Entry | undefined): string[] | undefined {
    const items = this.stringList(entry, { max: MAX_ARGV_ITEMS, itemMax: MAX_ARG_LENGTH, list: true });
    if (items === undefined || entry === undefined) return undefined;
    if (items.length === 0) {
      this.problem(entry.value, entry.path, 'must name a program: an empty list runs nothing');
      return undefined;
    }
    return items.map((item) => item.value);
  }

  private env(entry: Entry | undefined): Record<string, string> | undefined {
    if (entry === undefined) return undefined;
    const entries = this.entries(entry.value, entry.path, undefined, entry.keyNode);
    if (entries === undefined) return undefined;
    if (entries.length > MAX_ENV_VARIABLES) {
      this.problem(entry.value, entry.path, `at most ${MAX_ENV_VARIABLES} variables`);
    }
    const env: Record<string, string> = {};
    for (const variable of entries) {
      if (!ENV_NAME.test(variable.key)) {
        this.problem(
          variable.keyNode,
          variable.path,
          `${quote(variable.key)} is not a variable name: letters, digits and \`_\`, not starting with a digit`,
        );
        continue;
      }
      const value = this.resolve(variable.value, variable.path);
      const scalar = yaml().isScalar(value) ? value.value : undefined;
      // `PORT: 8080` and `DEBUG: true` mean the text: numbers and booleans are taken as written.
      if (typeof scalar === 'number' || typeof scalar === 'boolean') {
        env[variable.key] =
          yaml().isScalar(value) && typeof value.source === 'string' ? value.source : String(scalar);
        continue;
      }
      const text = this.text(variable, { max: MAX_ARG_LENGTH, allowEmpty: true, nulFree: true });
      if (text !== undefined) env[variable.key] = text;
    }
    return env;
  }

  private path(entry: Entry | undefined): string | undefined {
    return this.text(entry, { max: MAX_PATH_LENGTH, nulFree: true });
  }

  private required<T>(
    entry: Entry | undefined,
    parent: YamlNode,
    key: string,
    read: (entry: Entry) => T | undefined,
  ): T | undefined {
    if (entry !== undefined) return read(entry);
    const path = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : '';
    this.problem(parent, path, `${quote(key.slice(key.lastIndexOf('.') + 1))} is required`);
    return undefined;
  }

  /** A map's entries, checked: a map, plain keys, no key twice, none unknown (when `known` is given). */
  private entries(
    node: YamlNode | null,
    path: string,
    known: readonly string[] | undefined,
    keyNode?: YamlNode,
  ): Entry[] | undefined {
    const value = this.resolve(node, path);
    if (!yaml().isMap(value)) {
      this.problem(value ?? keyNode, path, `must be a map (\`key: value\` lines or \`{ … }\`)`);
      return undefined;
    }
    const entries: Entry[] = [];
    const seen = new Map<string, YamlNode>();
    for (const pair of value.items) {
      const key = pair.key as YamlNode | null;
      const keyValue = yaml().isScalar(key) ? key.value : undefined;
      if (key === null || (typeof keyValue !== 'string' && typeof keyValue !== 'number') || keyValue === '') {
        this.problem(key ?? value, path, 'keys must be plain names');
        continue;
      }
      // As written: a key `007:` is the node `007`, not 7.
      const name = writtenText(key) ?? String(keyValue);
      const childPath = join(path, name);
      const first = seen.get(name);
      if (first !== undefined) {
        const { line } = this.lines.linePos(first.range?.[0] ?? 0);
        const what = path === 'nodes' ? `node ${quote(name)}` : quote(name);
        this.problem(key, childPath, `${what} is given twice (first at line ${line})`);
        continue;
      }
      seen.set(name, key);
      if (known !== undefined && !known.includes(name)) {
        const hint = this.full ? undefined : nearestName(name, known);
        this.problem(
          key,
          childPath,
          hint
            ? `unknown key ${quote(name)} (did you mean ${quote(hint)}?)`
            : `unknown key ${quote(name)}; known keys: ${known.join(', ')}`,
        );
        continue;
      }
      entries.push({ key: name, keyNode: key, value: pair.value as YamlNode | null, path: childPath });
    }
    return entries;
  }

  /** An alias stands for its anchor's node (counted: see {@link MAX_ALIASES}). */
  private resolve(node: YamlNode | null, path: string): YamlNode | null {
    if (!yaml().isAlias(node)) return node;
    this.aliases++;
    const target = this.aliases > MAX_ALIASES ? undefined : (node.resolve(this.doc) as YamlNode | undefined);
    if (target !== undefined) return this.resolve(target, path);
    if (this.aliases === MAX_ALIASES + 1) this.problem(node, path, `more than ${MAX_ALIASES} aliases`);
    else if (this.aliases <= MAX_ALIASES) this.problem(node, path, `unknown alias *${node.source}`);
    this.badAliases.add(node);
    return node;
  }

  private text(
    entry: Entry | undefined,
    rules: { max?: number; pattern?: string; what?: string; allowEmpty?: boolean; nulFree?: boolean },
  ): string | undefined {
    if (entry === undefined) return undefined;
    return this.textOf(this.resolve(entry.value, entry.path), entry.path, entry.keyNode, rules);
  }

  private textOf(
    node: YamlNode | null,
    path: string,
    fallback: YamlNode,
    {
      max,
      pattern,
      what,
      allowEmpty = false,
      nulFree = false,
      asWritten = false,
    }: {
      max?: number;
      pattern?: string;
      what?: string;
      allowEmpty?: boolean;
      nulFree?: boolean;
      /** A number or boolean is taken as written (`argv: [sleep, 5]`, `needs: [007]`). */
      asWritten?: boolean;
    },
  ): string | undefined {
    const value = yaml().isScalar(node) ? (asWritten ? writtenText(node) : node.value) : undefined;
    if (typeof value !== 'string') {
      this.problem(node ?? fallback, path, `must be text, got ${describe(node)}`);
      return undefined;
    }
    if (!allowEmpty && value.trim() === '') {
      this.problem(node, path, 'must not be empty');
      return undefined;
    }
    if (max !== undefined && value.length > max) {
      this.problem(node, path, `must have at most ${max} characters, got ${value.length}`);
      return undefined;
    }
    if (nulFree && value.includes('\0')) {
      this.problem(node, path, 'must not contain a NUL character');
      return undefined;
    }
    if (pattern !== undefined && !new RegExp(pattern).test(value)) {
      this.problem(node, path, `${JSON.stringify(value)} is not valid: ${what ?? pattern}`);
      return undefined;
    }
    return value;
  }

  /** A string or a list of strings (`needs: fetch` is `needs: [fetch]`), unless `list` is set. */
  private stringList(
    entry: Entry | undefined,
    { max, itemMax, list = false }: { max: number; itemMax?: number; list?: boolean },
  ): { value: string; node: YamlNode; path: string }[] | undefined {
    if (entry === undefined) return undefined;
    const node = this.resolve(entry.value, entry.path);
    if (!list && yaml().isScalar(node) && typeof writtenText(node) === 'string') {
      const value = this.textOf(
        node,
        entry.path,
        entry.keyNode,
        itemMax === undefined ? { asWritten: true } : { max: itemMax, asWritten: true },
      );
      return value === undefined ? undefined : [{ value, node, path: `${entry.path}[0]` }];
    }
    if (!yaml().isSeq(node)) {
      this.problem(
        node ?? entry.keyNode,
        entry.path,
        `must be ${list ? 'a list of text' : 'text or a list of text'}, got ${describe(node)}`,
      );
      return undefined;
    }
    if (node.items.length > max) {
      this.problem(node, entry.path, `must have at most ${max} items, got ${node.items.length}`);
      return undefined;
    }
    const items: { value: string; node: YamlNode; path: string }[] = [];
    let bad = false;
    node.items.forEach((raw, index) => {
      const path = `${entry.path}[${index}]`;
      const item = this.resolve(raw as YamlNode | null, path);
      const value = this.textOf(item, path, node, {
        ...(itemMax === undefined ? {} : { max: itemMax }),
        allowEmpty: list,
        nulFree: true,
        asWritten: true,
      });
      if (value === undefined || item === null) bad = true;
      else items.push({ value, node: item, path });
    });
    return bad ? undefined : items;
  }

  private number(
    entry: Entry | undefined,
    { min, max, exclusiveMin = false }: { min: number; max: number; exclusiveMin?: boolean },
  ): number | undefined {
    if (entry === undefined) return undefined;
    const node = this.resolve(entry.value, entry.path);
    const value = yaml().isScalar(node) ? node.value : undefined;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.problem(node ?? entry.keyNode, entry.path, `must be a number, got ${describe(node)}`);
      return undefined;
    }
    if ((exclusiveMin ? value <= min : value < min) || value > max) {
      const range = exclusiveMin ? `more than ${min} and at most ${max}` : `from ${min} to ${max}`;
      this.problem(node, entry.path, `must be ${range}, got ${value}`);
      return undefined;
    }
    return value;
  }

  private integer(entry: Entry | undefined, min: number, max: number): number | undefined {
    const value = this.number(entry, { min, max });
    if (value === undefined || entry === undefined) return undefined;
    if (!Number.isInteger(value)) {
      this.problem(this.resolve(entry.value, entry.path), entry.path, `must be a whole number, got ${value}`);
      return undefined;
    }
    return value;
  }

  private boolean(entry: Entry | undefined): boolean | undefined {
    if (entry === undefined) return undefined;
    const node = this.resolve(entry.value, entry.path);
    const value = yaml().isScalar(node) ? node.value : undefined;
    if (typeof value === 'boolean') return value;
    this.problem(node ?? entry.keyNode, entry.path, `must be true or false, got ${describe(node)}`);
    return undefined;
  }
}

/**
 * A plain scalar's text: a string as is, a number or boolean as it was written (`007`, `1e3`,
 * `true`); undefined for null and for anything else.
 */
function writtenText(node: YamlNode | null): string | undefined {
  if (!yaml().isScalar(node)) return undefined;
  if (typeof node.value === 'string') return node.value;
  if (typeof node.value !== 'number' && typeof node.value !== 'boolean') return undefined;
  return typeof node.source === 'string' ? node.source : String(node.value);
}

/** What a wrong value is, in a user's words: "a list", "the number 3", "nothing". */
function describe(node: YamlNode | null): string {
  if (node === null) return 'nothing';
  if (yaml().isMap(node)) return 'a map';
  if (yaml().isSeq(node)) return 'a list';
  if (yaml().isScalar(node)) {
    if (node.value === null) return 'nothing';
    if (typeof node.value === 'number') return `the number ${String(node.value)}`;
    if (typeof node.value === 'boolean') return String(node.value);
    if (typeof node.value === 'string') return `the text ${JSON.stringify(node.value.slice(0, 40))}`;
  }
  return 'something else';
}
