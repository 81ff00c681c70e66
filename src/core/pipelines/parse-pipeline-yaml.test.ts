import { describe, expect, it } from 'vitest';
import { isStepflowError } from '../errors.js';
import {
  MAX_PIPELINE_NODES,
  MAX_PIPELINE_YAML_LENGTH,
  parsePipelineYaml,
  type PipelineProblem,
} from './parse-pipeline-yaml.js';

/** The problems `text` is refused with, as `line:column message`. */
function problemsOf(text: string): string[] {
  try {
    parsePipelineYaml(text);
  } catch (error) {
    if (!isStepflowError(error) || error.code !== 'validation_failed') throw error;
    const { problems } = error.details as { problems: PipelineProblem[] };
    return problems.map((problem) => `${problem.line}:${problem.column} ${problem.message}`);
  }
  throw new Error('the pipeline was accepted');
}

const ISSUE_EXAMPLE = `name: nightly-train
env: { DATASET: s3://bucket/day }
nodes:
  fetch:    { run: ./fetch.sh }
  prep-a:   { run: python3 prep.py a, needs: [fetch] }
  prep-b:   { run: python3 prep.py b, needs: [fetch], retry: { max: 2 } }
  train:    { run: python3 train.py, needs: [prep-a, prep-b], timeout: 3600, runsOn: [gpu] }
  report:   { run: ./report.sh, needs: [train], if: always }
`;

describe('parsePipelineYaml', () => {
  it('reads the issue example: file order, defaults, the pipeline env under each node', () => {
    const definition = parsePipelineYaml(ISSUE_EXAMPLE);
    expect(definition.name).toBe('nightly-train');
    expect(definition.env).toEqual({ DATASET: 's3://bucket/day' });
    expect(definition.nodes.map((node) => node.name)).toEqual([
      'fetch',
      'prep-a',
      'prep-b',
      'train',
      'report',
    ]);
    expect(definition.nodes[0]).toEqual({
      name: 'fetch',
      command: './fetch.sh',
      env: { DATASET: 's3://bucket/day' },
      needs: [],
      if: 'success',
      retry: { max: 0, delaySeconds: 0 },
      runsOn: [],
      continueOnError: false,
    });
    expect(definition.nodes[2]?.retry).toEqual({ max: 2, delaySeconds: 0 });
    expect(definition.nodes[3]).toMatchObject({
      needs: ['prep-a', 'prep-b'],
      timeoutSeconds: 3600,
      runsOn: ['gpu'],
    });
    expect(definition.nodes[4]?.if).toBe('always');
  });

  it('reads the warning thresholds, a missing one keeping its default, and refuses a critical one below the warning', () => {
    expect(
      parsePipelineYaml('name: w\nwarnings: { warnAfter: 0.5 }\nnodes: { a: { run: "true" } }\n').warnings,
    ).toEqual({ warnAfterSeconds: 0.5, criticalAfterSeconds: 30 });
    expect(
      problemsOf('name: w\nwarnings: { warnAfter: 1, soon: 1 }\nnodes: { a: { run: "true" } }\n'),
    ).toEqual(['2:27 warnings.soon: unknown key `soon`; known keys: warnAfter, criticalAfter']);
    expect(() =>
      parsePipelineYaml(
        'name: w\nwarnings: { warnAfter: 60, criticalAfter: 30 }\nnodes: { a: { run: "true" } }\n',
      ),
    ).toThrow('line 2, column 11: warnings: criticalAfter (30 s) must be more than warnAfter (60 s)');
  });

  it('refuses two node names that give the same output variables (prep-a and prep_a, Fetch and fetch)', () => {
    expect(
      problemsOf(
        'name: p\nnodes:\n  prep-a: { run: "true" }\n  prep_a: { run: "true" }\n  Fetch: { run: "true" }\n  fetch: { run: "true" }\n',
      ),
    ).toEqual([
      '4:3 nodes.prep_a: `prep_a` and `prep-a` both give the variables STEPFLOW_NEEDS_PREP_A_*: rename one',
      '6:3 nodes.fetch: `fetch` and `Fetch` both give the variables STEPFLOW_NEEDS_FETCH_*: rename one',
    ]);
  });

  it('reads every key in its other forms: argv (numbers as written), single need and label, retry as a number, node env over the pipeline env', () => {
    const definition = parsePipelineYaml(`name: all.keys_1
cwd: /srv/app
concurrency: 2
env:
  A: one
  PORT: 8080
  DEBUG: true
nodes:
  first:
    argv: [python3, -c, "print(1)"]
    cwd: sub
    env: { A: two, EMPTY: "" }
    retry: 3
  007: { argv: [sleep, 5, true], needs: first }
  second:
    run: echo hi
    needs: 007
    runsOn: gpu
    if: failure
    continueOnError: true
    retry: { max: 1, delay: 2.5 }
`);
    expect(definition).toMatchObject({ name: 'all.keys_1', cwd: '/srv/app', concurrency: 2 });
    expect(definition.env).toEqual({ A: 'one', PORT: '8080', DEBUG: 'true' });
    expect(definition.nodes[0]).toMatchObject({
      argv: ['python3', '-c', 'print(1)'],
      cwd: 'sub',
      env: { A: 'two', PORT: '8080', DEBUG: 'true', EMPTY: '' },
      retry: { max: 3, delaySeconds: 0 },
    });
    expect(definition.nodes[0]?.command).toBeUndefined();
    expect(definition.nodes[1]).toMatchObject({
      name: '007',
      argv: ['sleep', '5', 'true'],
      needs: ['first'],
    });
    expect(definition.nodes[2]).toMatchObject({
      command: 'echo hi',
      needs: ['007'],
      runsOn: ['gpu'],
      if: 'failure',
      continueOnError: true,
      retry: { max: 1, delaySeconds: 2.5 },
    });
  });

  it('names a YAML syntax error with its line and column', () => {
    expect(problemsOf('name: x\nnodes:\n  a: { run: [x }\n')).toEqual([
      '3:16 Flow sequence in block collection must be sufficiently indented and end with a ]',
      '3:17 Flow map in block collection must be sufficiently indented and end with a }',
    ]);
  });

  it('refuses unknown keys at every level, suggesting the nearest known one', () => {
    expect(
      problemsOf(`name: x
nodse: {}
nodes:
  a:
    run: ./a.sh
    need: [b]
    retry: { max: 1, dealy: 3 }
  b: { run: ./b.sh, colour: red }
`),
    ).toEqual([
      '2:1 nodse: unknown key `nodse` (did you mean `nodes`?)',
      '6:5 nodes.a.need: unknown key `need` (did you mean `needs`?)',
      '7:22 nodes.a.retry.dealy: unknown key `dealy` (did you mean `delay`?)',
      '8:21 nodes.b.colour: unknown key `colour`; known keys: run, argv, cwd, env, needs, if, timeout, retry, runsOn, continueOnError',
    ]);
  });

  it('refuses wrong types and ranges, each at its value', () => {
    expect(
      problemsOf(`name: x
concurrency: 0
env: [A]
nodes:
  a:
    run: [ls]
    timeout: soon
    if: maybe
    retry: { max: -1 }
    continueOnError: yes
  b: { argv: ls, needs: { a: 1 }, runsOn: ["no spaces"] }
  c: { cwd: /tmp }
  d: { run: x, argv: [x] }
`),
    ).toEqual([
      '2:14 concurrency: must be from 1 to 1000, got 0',
      '3:6 env: must be a map (`key: value` lines or `{ … }`)',
      '6:10 nodes.a.run: must be text, got a list',
      '7:14 nodes.a.timeout: must be a number, got the text "soon"',
      '8:9 nodes.a.if: must be one of success, failure, always, got "maybe"',
      '9:19 nodes.a.retry.max: must be from 0 to 100, got -1',
      '10:22 nodes.a.continueOnError: must be true or false, got the text "yes"',
      '11:14 nodes.b.argv: must be a list of text, got the text "ls"',
      '11:25 nodes.b.needs: must be text or a list of text, got a map',
      "11:43 nodes.b.runsOn: \"no spaces\" is not a label (1-63 letters, digits, '.', '_' or '-', starting with a letter or digit)",
      '12:3 nodes.c: needs `run` (a shell command) or `argv` (a list)',
      '13:16 nodes.d: give `run` or `argv`, not both',
    ]);
  });

  it('refuses a node defined twice, naming where it was first', () => {
    expect(problemsOf('name: x\nnodes:\n  a: { run: a }\n  b: { run: b }\n  a: { run: c }\n')).toEqual([
      '5:3 nodes.a: node `a` is given twice (first at line 3)',
    ]);
  });

  it('refuses a need naming no node (with a hint) and a node needing itself', () => {
    expect(
      problemsOf(
        'name: x\nnodes:\n  fetch: { run: a }\n  train: { run: b, needs: [fecth, train, nowhere] }\n',
      ),
    ).toEqual([
      '4:28 nodes.train.needs[0]: unknown node `fecth` (did you mean `fetch`?)',
      '4:35 nodes.train.needs[1]: node `train` needs itself',
      '4:42 nodes.train.needs[2]: unknown node `nowhere`',
    ]);
  });

  it('names a cycle in order, at the needs entry that closes it', () => {
    expect(
      problemsOf(`name: x
nodes:
  a: { run: a, needs: [b] }
  start: { run: s }
  b:
    run: b
    needs: [start, c]
  c:
    run: c
    needs:
      - start
      - a
`),
    ).toEqual(['12:9 nodes.c.needs[1]: cycle: a → b → c → a']);
  });

  it('refuses node names that cannot become variable names, and bad variable names', () => {
    expect(problemsOf('name: x\nnodes:\n  "prep a": { run: a }\n  ok: { run: b, env: { 1X: y } }\n')).toEqual(
      [
        '3:3 nodes.prep a: `prep a` is not a node name: 1-100 letters, digits, `_` or `-` (it becomes part of environment variable names)',
        '4:24 nodes.ok.env.1X: `1X` is not a variable name: letters, digits and `_`, not starting with a digit',
      ],
    );
  });

  it('needs a name and at least one node, and says so for an empty file', () => {
    expect(problemsOf('')).toEqual(['1:1 the file is empty: a pipeline needs `name` and `nodes`']);
    expect(problemsOf('env: {}\n')).toEqual(['1:1 `name` is required', '1:1 `nodes` is required']);
    expect(problemsOf('name: "has space"\nnodes: {}\n')).toEqual([
      '1:7 name: "has space" is not valid: 1-100 letters, digits, `.`, `_` or `-`, starting with a letter or digit',
      '2:8 nodes: a pipeline needs at least one node',
    ]);
  });

  it('keeps to its limits with clear messages: file size, node count, aliases', () => {
    expect(problemsOf(`name: x\n#${'a'.repeat(MAX_PIPELINE_YAML_LENGTH)}\n`)).toEqual([
      `1:1 the file is ${MAX_PIPELINE_YAML_LENGTH + 10} characters long; at most ${MAX_PIPELINE_YAML_LENGTH} are allowed`,
    ]);
    const many = Array.from({ length: MAX_PIPELINE_NODES + 1 }, (_, index) => `  n${index}: { run: x }`).join(
      '\n',
    );
    expect(problemsOf(`name: x\nnodes:\n${many}\n`)).toEqual([
      `3:3 nodes: ${MAX_PIPELINE_NODES + 1} nodes; at most ${MAX_PIPELINE_NODES} are allowed`,
    ]);
    const aliases = Array.from({ length: 101 }, (_, index) => `  n${index}: { run: x, env: *shared }`).join(
      '\n',
    );
    expect(problemsOf(`name: x\nenv: &shared { A: b }\nnodes:\n${aliases}\n`)).toEqual([
      '104:24 nodes.n100.env: more than 100 aliases',
    ]);
  });

  it('collects every problem of a file, in file order', () => {
    expect(
      problemsOf(
        'name: x\nnodes:\n  a: { run: a, needs: [zz] }\n  b: { rn: b }\n  c: { run: c, if: never }\n',
      ),
    ).toHaveLength(4);
  });

  it('stays quick and short on a hostile file: every node needing every other, a 200-node cycle', () => {
    const names = Array.from({ length: 220 }, (_, index) => `n${index.toString(36)}`);
    const everyOther = names.map((name) => `  ${name}: { run: x, needs: [${names.join(',')}] }`).join('\n');
    const text = `name: x\nnodes:\n${everyOther}\n`;
    expect(text.length).toBeLessThanOrEqual(MAX_PIPELINE_YAML_LENGTH);
    const started = performance.now();
    const problems = problemsOf(text);
    // About 1.5 s on a busy 2-core machine, most of it the YAML parse: a bound, not a benchmark.
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(problems).toHaveLength(101);
    expect(problems.at(-1)).toMatch(/^\d+:\d+ and \d+ more problems: fix these first$/);

    const ring = names
      .slice(0, 200)
      .map((name, index) => `  ${name}: { run: x, needs: ${names[(index + 1) % 200]} }`);
    const [cycle] = problemsOf(`name: x\nnodes:\n${ring.join('\n')}\n`);
    expect(cycle).toMatch(
      /cycle: n0 → n1 → n2 → n3 → n4 → n5 → n6 → n7 → n8 → n9 → … 181 more … → (n\w+ → ){9}n0$/,
    );
  });
});
