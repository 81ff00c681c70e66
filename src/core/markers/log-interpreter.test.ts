import { describe, expect, it } from 'vitest';
import { StepflowError } from '../errors.js';
import type { Annotation, LogLine, Step } from '../model.js';
import { LineFlag } from '../model.js';
import type { ArtifactRequest, InterpreterSink, RunOutcome } from './log-interpreter.js';
import { createLogInterpreter } from './log-interpreter.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

/** A real interpreter with a sink that records everything, in order. */
function setup(secrets?: readonly string[]) {
  const events: string[] = [];
  const updated: Step[] = [];
  const finished: Step[] = [];
  const artifacts: ArtifactRequest[] = [];
  const annotations: Annotation[] = [];
  const executionMeta: Record<string, string> = {};
  const executionErrors: string[] = [];
  const outputs: [string, string][] = [];
  const sink: InterpreterSink = {
    stepStarted: (step) => events.push(`start ${step.name}`),
    stepUpdated: (step) => {
      events.push(`update ${step.name}`);
      updated.push(step);
    },
    stepFinished: (step) => {
      events.push(`finish ${step.name} ${step.status}`);
      finished.push(step);
    },
    artifactDeclared: (request) => artifacts.push(request),
    annotationAdded: (annotation) => annotations.push(annotation),
    executionMeta: (key, value) => (executionMeta[key] = value),
    executionError: (message) => executionErrors.push(message),
    outputSet: (name, value) => outputs.push([name, value]),
  };
  const interpreter = createLogInterpreter({ sink, ...(secrets ? { secrets } : {}) });
  const taken: LogLine[] = [];
  return {
    interpreter,
    events,
    updated,
    finished,
    artifacts,
    annotations,
    executionMeta,
    executionErrors,
    outputs,
    /** Pushes a script's output (one line per '\n') on stdout. */
    print(output: string, ts = T0) {
      interpreter.pushLines('stdout', output.split('\n'), ts);
    },
    end(outcome: RunOutcome = 'succeeded', ts = T0 + 1000) {
      interpreter.finish(outcome, ts);
    },
    /** All lines produced so far. */
    lines(): LogLine[] {
      taken.push(...interpreter.takeLines());
      return taken;
    },
    /** `name → [status, parent name]` for every step. */
    tree(): Record<string, [string, string | null]> {
      const steps = interpreter.steps();
      const byId = new Map(steps.map((s) => [s.id, s.name]));
      return Object.fromEntries(
        steps.map((s) => [s.name, [s.status, s.parentId === null ? null : (byId.get(s.parentId) ?? '?')]]),
      );
    },
    /** Text of the lines of the step called `name`. */
    logOf(name: string): string[] {
      const step = interpreter.steps().find((s) => s.name === name);
      return this.lines()
        .filter((l) => l.stepId === (step?.id ?? -1))
        .map((l) => l.text);
    },
  };
}

describe('implicit steps', () => {
  it('puts output printed before the first step in an implicit "Set up" step', () => {
    const t = setup();
    t.print('cloning…\nSTEP_START:build\ncompiling');
    const [setUp, build] = t.interpreter.steps();
    expect(setUp).toMatchObject({ id: 1, name: 'Set up', implicit: true, source: 'implicit', firstSeq: 1 });
    expect(build).toMatchObject({
      id: 2,
      name: 'build',
      implicit: false,
      source: 'stepflow',
      parentId: null,
    });
    expect(t.logOf('Set up')).toEqual(['cloning…']);
  });

  it('creates no implicit step when the first line opens a step', () => {
    const t = setup();
    t.print('STEP_START:build\ncompiling\nSTEP_COMPLETE:build');
    t.end();
    expect(t.interpreter.steps().map((s) => s.name)).toEqual(['build']);
  });

  it('puts output between steps in an implicit "Post <previous step>" step, created lazily', () => {
    const t = setup();
    t.print('STEP_START:build\nSTEP_COMPLETE:build');
    expect(t.interpreter.steps()).toHaveLength(1);
    t.print('cleanup\nSTEP_START:test\nSTEP_COMPLETE:test\ndone');
    t.end();
    expect(t.interpreter.steps().map((s) => [s.name, s.implicit])).toEqual([
      ['build', false],
      ['Post build', true],
      ['test', false],
      ['Post test', true],
    ]);
    expect(t.logOf('Post build')).toEqual(['cleanup']);
  });

  it('closes an implicit step as succeeded when a real step starts', () => {
    const t = setup();
    t.print('hello', T0);
    t.print('STEP_START:build', T0 + 250);
    expect(t.finished[0]).toMatchObject({
      name: 'Set up',
      status: 'succeeded',
      endedAt: new Date(T0 + 250).toISOString(),
      durationMs: 250,
    });
    expect(t.interpreter.steps()[1]!.parentId).toBeNull();
  });

  it('never puts marker lines printed outside any step in an implicit step', () => {
    const t = setup();
    t.print('META:version:1.2\nARTIFACT:report.html\n::warning::careful\nSTEP_START:build');
    expect(t.interpreter.steps().map((s) => s.name)).toEqual(['build']);
    expect(
      t
        .lines()
        .slice(0, 3)
        .map((l) => [l.stepId, l.flags]),
    ).toEqual([
      [null, LineFlag.Marker],
      [null, LineFlag.Marker],
      [null, LineFlag.Marker],
    ]);
    expect(t.executionMeta).toEqual({ version: '1.2' });
    expect(t.artifacts[0]!.stepId).toBeNull();
    expect(t.annotations[0]!.stepId).toBeNull();
  });
});

describe('nesting and closing', () => {
  it('makes a step started inside an open step its child', () => {
    const t = setup();
    t.print('STEP_START:outer\nSTEP_START:inner\nSTEP_COMPLETE:inner\nSTEP_COMPLETE:outer');
    expect(t.tree()).toEqual({ outer: ['succeeded', null], inner: ['succeeded', 'outer'] });
  });

  it('closes the inner steps (succeeded) when STEP_COMPLETE names an outer step', () => {
    const t = setup();
    t.print('STEP_START:a\nSTEP_START:b\nSTEP_START:c\nSTEP_COMPLETE:a');
    expect(t.events.filter((e) => e.startsWith('finish'))).toEqual([
      'finish c succeeded',
      'finish b succeeded',
      'finish a succeeded',
    ]);
  });

  it('keeps a STEP_COMPLETE naming no open step as a plain, unflagged line', () => {
    const t = setup();
    t.print('STEP_START:build\nSTEP_COMPLETE:biuld');
    expect(t.tree()).toEqual({ build: ['running', null] });
    expect(t.lines()[1]).toMatchObject({ text: 'STEP_COMPLETE:biuld', flags: 0, stepId: 1 });
  });

  it('closes the innermost StepFlow step on STEP_COMPLETE with an empty name', () => {
    const t = setup();
    t.print('STEP_START:a\nSTEP_START:b\nSTEP_COMPLETE:');
    expect(t.tree()).toEqual({ a: ['running', null], b: ['succeeded', 'a'] });
  });

  it('lets STEP_COMPLETE close only StepFlow steps', () => {
    const t = setup();
    t.print('::group::build\nSTEP_COMPLETE:build\nSTEP_COMPLETE:');
    expect(t.tree()).toEqual({ build: ['running', null] });
    expect(t.lines().map((l) => l.flags)).toEqual([LineFlag.Marker, 0, 0]);
  });

  it('closes the innermost GitHub group on ::endgroup::, with the steps nested in it', () => {
    const t = setup();
    t.print('::group::outer\n::group::inner\nSTEP_START:x\n::endgroup::\nmore\n::endgroup::');
    expect(t.tree()).toEqual({
      outer: ['succeeded', null],
      inner: ['succeeded', 'outer'],
      x: ['succeeded', 'inner'],
    });
    expect(t.logOf('outer')).toEqual(['::group::outer', 'more', '::endgroup::']);
  });

  it('nests GitHub groups inside StepFlow steps', () => {
    const t = setup();
    t.print('STEP_START:build\n::group::compile\n::endgroup::\nSTEP_COMPLETE:build');
    expect(t.tree()).toEqual({ build: ['succeeded', null], compile: ['succeeded', 'build'] });
  });

  it('keeps ::endgroup:: with no open GitHub group as a plain line', () => {
    const t = setup();
    t.print('STEP_START:build\n::endgroup::');
    expect(t.tree()).toEqual({ build: ['running', null] });
    expect(t.lines()[1]).toMatchObject({ flags: 0, stepId: 1 });
  });

  it('closes a GitLab section by its section name and shows its header as the name', () => {
    const t = setup();
    t.print(
      [
        '\x1b[0Ksection_start:1560896352:outer\r\x1b[0KOuter header',
        '\x1b[0Ksection_start:1560896353:inner[collapsed=true]\r\x1b[0KInner header',
        '\x1b[0Ksection_end:1560896354:outer\r\x1b[0K',
        '\x1b[0Ksection_end:1560896355:inner\r\x1b[0K',
      ].join('\n'),
    );
    // The second section_end names a section that is already closed: plain text, which (no step
    // being open) lands in an implicit step.
    expect(t.tree()).toEqual({
      'Outer header': ['succeeded', null],
      'Inner header': ['succeeded', 'Outer header'],
      'Post Outer header': ['running', null],
    });
    expect(t.lines().map((l) => l.flags)).toEqual([LineFlag.Marker, LineFlag.Marker, LineFlag.Marker, 0]);
  });

  it('closes the previous Buildkite group when a new Buildkite header arrives', () => {
    const t = setup();
    t.print('--- Setup\n+++ Test\n~~~ Deploy');
    expect(t.tree()).toEqual({
      Setup: ['succeeded', null],
      Test: ['succeeded', null],
      Deploy: ['running', null],
    });
  });

  it('nests a Buildkite group opened inside another step and closes it with that step', () => {
    const t = setup();
    t.print('STEP_START:ci\n--- lint\n--- unit\nSTEP_COMPLETE:ci');
    expect(t.tree()).toEqual({
      ci: ['succeeded', null],
      lint: ['succeeded', 'ci'],
      unit: ['succeeded', 'ci'],
    });
  });

  it('treats ^^^ +++ as a flagged line of the current group that creates, closes and reopens nothing', () => {
    const t = setup();
    t.print('--- Build\nerror: boom\n^^^ +++\nafter');
    expect(t.tree()).toEqual({ Build: ['running', null] });
    expect(t.lines().map((l) => [l.stepId, l.flags])).toEqual([
      [1, LineFlag.Marker],
      [1, 0],
      [1, LineFlag.Marker],
      [1, 0],
    ]);
  });
});

describe('STEP_ERROR', () => {
  it('fails the current step and the execution, and the step stays open until its STEP_COMPLETE', () => {
    const t = setup();
    t.print('STEP_START:validate\nSTEP_ERROR:bad input\ncleaning up\nSTEP_COMPLETE:validate');
    expect(t.updated.at(-1)).toMatchObject({
      name: 'validate',
      status: 'failed',
      error: 'bad input',
      endedAt: null,
    });
    expect(t.executionErrors).toEqual(['bad input']);
    expect(t.logOf('validate')).toEqual([
      'STEP_START:validate',
      'STEP_ERROR:bad input',
      'cleaning up',
      'STEP_COMPLETE:validate',
    ]);
    expect(t.finished).toMatchObject([{ name: 'validate', status: 'failed', error: 'bad input' }]);
  });

  it('keeps the step failed even when the script then exits 0', () => {
    const t = setup();
    t.print('STEP_START:validate\nSTEP_ERROR:bad input');
    t.end('succeeded');
    expect(t.finished).toMatchObject([{ name: 'validate', status: 'failed' }]);
    expect(t.executionErrors).toHaveLength(1);
  });

  it('makes the next step a sibling of the failed step, not its child', () => {
    const t = setup();
    t.print('STEP_START:a\nSTEP_ERROR:oops\nSTEP_START:b\nSTEP_COMPLETE:b');
    expect(t.tree()).toEqual({ a: ['failed', null], b: ['succeeded', null] });
  });

  it('fails an implicit step and the execution when no step is open', () => {
    const t = setup();
    t.print('STEP_ERROR:config missing\ndetails');
    expect(t.tree()).toEqual({ 'Set up': ['failed', null] });
    expect(t.logOf('Set up')).toEqual(['STEP_ERROR:config missing', 'details']);
    expect(t.executionErrors).toEqual(['config missing']);
    t.print('STEP_START:next');
    expect(t.tree()).toEqual({ 'Set up': ['failed', null], next: ['running', null] });
  });

  it('uses a default message when STEP_ERROR has none, and keeps the first message of a step', () => {
    const t = setup();
    t.print('STEP_START:a\nSTEP_ERROR:\nSTEP_ERROR:second');
    expect(t.interpreter.steps()[0]!.error).toBe('STEP_ERROR without a message');
    expect(t.executionErrors).toEqual(['STEP_ERROR without a message', 'second']);
  });

  it('fails a step when a step nested in it failed', () => {
    const t = setup();
    t.print('STEP_START:outer\nSTEP_START:inner\nSTEP_ERROR:x\nSTEP_COMPLETE:outer');
    expect(t.tree()).toEqual({ outer: ['failed', null], inner: ['failed', 'outer'] });
    expect(t.interpreter.steps()[0]!.error).toBeNull();
  });
});

describe('steps open at exit', () => {
  const openAtExit = (outcome: RunOutcome) => {
    const t = setup();
    t.print('STEP_START:outer\nSTEP_START:inner', T0);
    t.end(outcome, T0 + 500);
    return t;
  };

  it('succeed on exit 0', () => {
    const t = openAtExit('succeeded');
    expect(t.tree()).toEqual({ outer: ['succeeded', null], inner: ['succeeded', 'outer'] });
    expect(t.finished.map((s) => s.durationMs)).toEqual([500, 500]);
  });

  it('fail when the script failed', () => {
    expect(openAtExit('failed').tree()).toEqual({ outer: ['failed', null], inner: ['failed', 'outer'] });
  });

  it('are cancelled when the run was cancelled, timed out or interrupted, except those already failed', () => {
    const t = setup();
    t.print('STEP_START:outer\nSTEP_START:inner\nSTEP_ERROR:x');
    t.end('cancelled');
    expect(t.tree()).toEqual({ outer: ['cancelled', null], inner: ['failed', 'outer'] });
  });
});

describe('META', () => {
  it('attaches to the current step, or to the execution when no step is open', () => {
    const t = setup();
    t.print('META:owner:team-a\nSTEP_START:build\nMETA:cache:hit\nSTEP_COMPLETE:build');
    expect(t.executionMeta).toEqual({ owner: 'team-a' });
    expect(t.interpreter.steps()[0]!.meta).toEqual({ cache: 'hit' });
    expect(t.events).toContain('update build');
  });

  it('sets estimatedDurationSeconds from ESTIMATED_DURATION and keeps invalid values as meta only', () => {
    const t = setup();
    t.print('STEP_START:a\nMETA:ESTIMATED_DURATION:300\nSTEP_START:b\nMETA:ESTIMATED_DURATION:-5');
    t.print(
      'STEP_START:c\nMETA:ESTIMATED_DURATION:soon\nMETA:ESTIMATED_DURATION:0\nMETA:estimated_duration:9',
    );
    t.print('STEP_START:d\nMETA:ESTIMATED_DURATION:1.5');
    const [a, b, c, d] = t.interpreter.steps();
    expect(a).toMatchObject({ estimatedDurationSeconds: 300, meta: { ESTIMATED_DURATION: '300' } });
    expect(b).toMatchObject({ estimatedDurationSeconds: null, meta: { ESTIMATED_DURATION: '-5' } });
    expect(c).toMatchObject({
      estimatedDurationSeconds: null,
      meta: { ESTIMATED_DURATION: '0', estimated_duration: '9' },
    });
    expect(d).toMatchObject({ estimatedDurationSeconds: 1.5 });
  });

  it('gives the run its own ESTIMATED_DURATION outside steps, even after output opened the implicit step', () => {
    const before = setup();
    before.print('META:ESTIMATED_DURATION:120\nSTEP_START:a');
    expect(before.executionMeta).toEqual({ ESTIMATED_DURATION: '120' });

    const after = setup();
    after.print(
      'starting up\nMETA:ESTIMATED_DURATION:90\nMETA:owner:ops\nSTEP_START:a\nMETA:ESTIMATED_DURATION:5',
    );
    // The run's estimate leaves the implicit step; any other meta stays with it, as before.
    expect(after.executionMeta).toEqual({ ESTIMATED_DURATION: '90' });
    const [implicit, a] = after.interpreter.steps();
    expect(implicit).toMatchObject({
      implicit: true,
      estimatedDurationSeconds: null,
      meta: { owner: 'ops' },
    });
    expect(a).toMatchObject({ estimatedDurationSeconds: 5, meta: { ESTIMATED_DURATION: '5' } });
  });

  it('stores a __proto__ key like any other key', () => {
    const t = setup();
    t.print('STEP_START:a\nMETA:__proto__:x');
    expect(Object.entries(t.interpreter.steps()[0]!.meta)).toEqual([['__proto__', 'x']]);
  });
});

describe('artifacts and annotations', () => {
  it('declares an artifact with the current step and the seq of its marker line', () => {
    const t = setup();
    t.print('STEP_START:train\nARTIFACT:model.pkl:model: v2');
    expect(t.artifacts).toEqual([{ path: 'model.pkl', description: 'model: v2', stepId: 1, seq: 2 }]);
  });

  it('passes ::set-output values on as printed, and keeps the line in its step, flagged', () => {
    const t = setup();
    t.print('STEP_START:build\n::set-output name=version::1.2.3\n::set-output name=empty::');
    expect(t.outputs).toEqual([
      ['version', '1.2.3'],
      ['empty', ''],
    ]);
    expect(t.lines()[1]).toMatchObject({ stepId: 1, flags: LineFlag.Marker });
  });

  it('adds annotations with the current step and the seq of their marker line', () => {
    const t = setup();
    t.print('STEP_START:lint\n::error file=a.js,line=3,title=Lint::no-undef');
    expect(t.annotations).toEqual([
      {
        id: 1,
        stepId: 1,
        seq: 2,
        level: 'error',
        message: 'no-undef',
        title: 'Lint',
        file: 'a.js',
        line: 3,
        col: null,
        endLine: null,
        endCol: null,
      },
    ]);
    expect(t.executionErrors).toEqual([]);
    expect(t.tree()).toEqual({ lint: ['running', null] });
  });
});

describe('::add-mask::', () => {
  it('produces no log line and masks later lines, names, meta, errors, annotations and descriptions', () => {
    const t = setup();
    t.print('before s3cr3t\n::add-mask::s3cr3t');
    t.print(
      [
        'token=s3cr3t',
        'STEP_START:deploy s3cr3t',
        'META:key-s3cr3t:val-s3cr3t',
        'ARTIFACT:out-s3cr3t.txt:for s3cr3t',
        '::warning title=s3cr3t::msg s3cr3t',
        'STEP_ERROR:failed with s3cr3t',
        'STEP_COMPLETE:deploy s3cr3t',
      ].join('\n'),
    );
    const texts = t.lines().map((l) => l.text);
    expect(texts).toEqual([
      'before s3cr3t',
      'token=***',
      'STEP_START:deploy ***',
      'META:key-***:val-***',
      'ARTIFACT:out-***.txt:for ***',
      '::warning title=***::msg ***',
      'STEP_ERROR:failed with ***',
      'STEP_COMPLETE:deploy ***',
    ]);
    const deploy = t.interpreter.steps().find((s) => s.name === 'deploy ***');
    expect(deploy).toMatchObject({
      status: 'failed',
      error: 'failed with ***',
      meta: { 'key-***': 'val-***' },
    });
    // The path is what StepFlow needs to find the file: it is not masked.
    expect(t.artifacts[0]).toMatchObject({ path: 'out-s3cr3t.txt', description: 'for ***' });
    expect(t.annotations[0]).toMatchObject({ title: '***', message: 'msg ***' });
    expect(t.executionErrors).toEqual(['failed with ***']);
    expect(t.interpreter.mask('x s3cr3t')).toBe('x ***');
  });

  it('masks nothing for an empty value, keeps the line and warns as the GitHub runner does', () => {
    const t = setup();
    t.print('STEP_START:a\n::add-mask::\nplain');
    expect(t.lines().map((l) => [l.text, l.flags])).toEqual([
      ['STEP_START:a', LineFlag.Marker],
      ['::add-mask::', LineFlag.Marker],
      ['plain', 0],
    ]);
    expect(t.annotations).toMatchObject([
      { level: 'warning', message: expect.stringMatching(/empty string/) },
    ]);
  });
});

describe('masking beyond one text', () => {
  const secret = 's3cr3t-Value';
  /** Each stored line's text; the pieces of an over-long line joined into one. */
  const wholeLines = (lines: LogLine[]): string[] => {
    const out: string[] = [];
    let open = false;
    for (const line of lines) {
      if (open) out[out.length - 1] += line.text;
      else out.push(line.text);
      open = (line.flags & LineFlag.Continued) !== 0;
    }
    return out;
  };

  it('masks a secret cut in two by the long-line split, at every cut point', () => {
    for (let cut = 1; cut < secret.length; cut++) {
      const t = setup([secret]);
      t.interpreter.pushPiece('stdout', `${'a'.repeat(40)}${secret.slice(0, cut)}`, true, T0);
      t.interpreter.pushPiece('stdout', `${secret.slice(cut)}${'b'.repeat(40)}\r`, false, T0);
      const lines = t.lines();
      expect(lines.map((l) => l.text).join('\n'), `cut ${cut}`).not.toContain(secret.slice(0, 6));
      expect(wholeLines(lines), `cut ${cut}`).toEqual([`${'a'.repeat(40)}***${'b'.repeat(40)}`]);
      expect(lines.map((l) => l.flags)).toEqual([LineFlag.Continued, 0]);
    }
  });

  it('masks a secret spread over pieces shorter than itself, and one cut inside an escape sequence', () => {
    const t = setup([secret]);
    const line = `xx${secret.slice(0, 3)}\x1b[1m${secret.slice(3)}yy`;
    for (let i = 0; i < line.length; i += 2) {
      t.interpreter.pushPiece('stderr', line.slice(i, i + 2), i + 2 < line.length, T0);
    }
    expect(wholeLines(t.lines())).toEqual(['xx***yy']);
  });

  it('keeps the pieces of two streams apart', () => {
    const t = setup([secret]);
    t.interpreter.pushPiece('stdout', `out ${secret.slice(0, 4)}`, true, T0);
    t.interpreter.pushPiece('stderr', `err ${secret.slice(0, 4)}`, true, T0);
    t.interpreter.pushPiece('stderr', `${secret.slice(4)} end`, false, T0);
    t.interpreter.pushPiece('stdout', `${secret.slice(4)} end`, false, T0);
    const byStream = (stream: string) => wholeLines(t.lines().filter((l) => l.stream === stream));
    expect(byStream('stdout')).toEqual(['out *** end']);
    expect(byStream('stderr')).toEqual(['err *** end']);
  });

  it('stores what it held back when the run ends mid-line', () => {
    const t = setup([secret]);
    t.interpreter.pushPiece('stdout', `tail ${secret}`, true, T0);
    t.end();
    expect(wholeLines(t.lines())).toEqual(['tail ***']);
  });

  it('masks the secrets it is given from the first line on', () => {
    const t = setup([secret, '  padded  ']);
    t.print(`STEP_START:use ${secret}\n${Buffer.from(secret).toString('base64')} padded`);
    expect(t.lines().map((l) => l.text)).toEqual(['STEP_START:use ***', '*** ***']);
    expect(t.interpreter.steps()[0]?.name).toBe('use ***');
  });

  it('masks a secret that %0A splits, in the annotation and in the marker line', () => {
    const t = setup();
    t.print('::add-mask::s3cr3t\n::error file=s3c%0Ar3t.txt,title=s3%0Dcr3t::msg s3c%0Ar3t');
    expect(t.lines().map((l) => l.text)).toEqual(['::error file=***.txt,title=***::msg ***']);
    expect(t.annotations[0]).toMatchObject({ file: '***.txt', title: '***', message: 'msg ***' });
  });

  it('masks a value declared with padding, and its base64 and hex forms, after ::add-mask::', () => {
    const t = setup();
    t.print(
      [
        '::add-mask::  s3cr3t  ',
        'plain s3cr3t',
        `b64 ${Buffer.from('s3cr3t').toString('base64')}`,
        `hex ${Buffer.from('s3cr3t').toString('hex').toUpperCase()}`,
        'ansi s3\x1b[1mcr3t',
      ].join('\n'),
    );
    expect(t.lines().map((l) => l.text)).toEqual(['plain ***', 'b64 ***', 'hex ***', 'ansi ***']);
  });
});

describe('the log', () => {
  it('keeps malformed markers as plain log lines without throwing', () => {
    const t = setup();
    t.print('STEP_START:a\nSTEP_START:\nARTIFACT:\nMETA:novalue\n::error file=::\nsection_start::x');
    expect(t.lines().map((l) => l.flags)).toEqual([LineFlag.Marker, 0, 0, 0, 0, 0]);
    expect(t.interpreter.steps()).toHaveLength(1);
    expect(t.artifacts).toEqual([]);
    expect(t.annotations).toEqual([]);
  });

  it('keeps marker lines, flagged; the opening line belongs to the step it opens, the closing line to the step it closes', () => {
    const t = setup();
    t.print('STEP_START:outer\nSTEP_START:inner\nwork\nSTEP_COMPLETE:outer\nafter');
    expect(t.lines().map((l) => [l.seq, l.stepId, l.text, l.flags])).toEqual([
      [1, 1, 'STEP_START:outer', LineFlag.Marker],
      [2, 2, 'STEP_START:inner', LineFlag.Marker],
      [3, 2, 'work', 0],
      [4, 1, 'STEP_COMPLETE:outer', LineFlag.Marker],
      [5, 3, 'after', 0],
    ]);
    expect(t.interpreter.steps().map((s) => s.firstSeq)).toEqual([1, 2, 5]);
    expect(t.interpreter.lastSeq).toBe(5);
  });

  it('stores text without its trailing CR, keeps ANSI colours, and records stream and time', () => {
    const t = setup();
    t.interpreter.pushLines('stderr', ['\x1b[31mred\x1b[0m\r', 'a\rb'], T0 + 7);
    expect(t.lines()).toEqual([
      { seq: 1, ts: T0 + 7, stream: 'stderr', stepId: 1, text: '\x1b[31mred\x1b[0m', flags: 0 },
      { seq: 2, ts: T0 + 7, stream: 'stderr', stepId: 1, text: 'a\rb', flags: 0 },
    ]);
  });

  it('never parses pieces of an over-long line and flags all but the last as continued', () => {
    const t = setup();
    t.interpreter.pushPiece('stdout', 'STEP_START:x', true, T0);
    t.interpreter.pushPiece('stdout', 'tail\r', false, T0);
    expect(t.lines().map((l) => [l.text, l.flags, l.stepId])).toEqual([
      ['STEP_START:x', LineFlag.Continued, 1],
      ['tail', 0, 1],
    ]);
    expect(t.interpreter.steps().map((s) => s.name)).toEqual(['Set up']);
  });

  it('puts system lines in the current step, or in none without creating a step', () => {
    const t = setup();
    t.interpreter.pushSystemLine('before', T0);
    t.print('STEP_START:a');
    t.interpreter.pushSystemLine('inside', T0);
    expect(t.lines().map((l) => [l.stream, l.stepId, l.text])).toEqual([
      ['system', null, 'before'],
      ['stdout', 1, 'STEP_START:a'],
      ['system', 1, 'inside'],
    ]);
    expect(t.interpreter.steps()).toHaveLength(1);
  });

  it('treats markers as plain text while ::stop-commands:: is active', () => {
    const t = setup();
    t.print('STEP_START:a\n::stop-commands::tok\nSTEP_START:b\nSTEP_COMPLETE:a\n::tok::\nSTEP_COMPLETE:a');
    expect(t.tree()).toEqual({ a: ['succeeded', null] });
    expect(t.lines().map((l) => l.flags)).toEqual([
      LineFlag.Marker,
      LineFlag.Marker,
      0,
      0,
      LineFlag.Marker,
      LineFlag.Marker,
    ]);
  });

  it('reads markers on stderr too', () => {
    const t = setup();
    t.interpreter.pushLines('stderr', ['STEP_START:a'], T0);
    expect(t.tree()).toEqual({ a: ['running', null] });
  });
});

describe('events', () => {
  it('reports a step before its opening line and after its closing line', () => {
    // Drain lines inside each callback, as the engine does, and check what each event has seen.
    const seen: string[] = [];
    const interpreter = createLogInterpreter({
      sink: {
        stepStarted: (step) => seen.push(`lines ${drain()} | start ${step.name}`),
        stepUpdated: () => undefined,
        stepFinished: (step) => seen.push(`lines ${drain()} | finish ${step.name}`),
        artifactDeclared: () => undefined,
        annotationAdded: () => undefined,
        executionMeta: () => undefined,
        executionError: () => undefined,
        outputSet: () => undefined,
      },
    });
    const drain = () =>
      interpreter
        .takeLines()
        .map((l) => l.seq)
        .join(',');
    interpreter.pushLines('stdout', ['hi', 'STEP_START:a', 'x', 'STEP_COMPLETE:a'], T0);
    expect(seen).toEqual([
      'lines  | start Set up',
      'lines 1 | finish Set up',
      'lines  | start a',
      'lines 2,3,4 | finish a',
    ]);
  });

  it('passes snapshots that later changes leave alone, with ISO times and 1-based ids', () => {
    const started: Step[] = [];
    const interpreter = createLogInterpreter({
      sink: {
        stepStarted: (step) => started.push(step),
        stepUpdated: () => undefined,
        stepFinished: () => undefined,
        artifactDeclared: () => undefined,
        annotationAdded: () => undefined,
        executionMeta: () => undefined,
        executionError: () => undefined,
        outputSet: () => undefined,
      },
    });
    interpreter.pushLines('stdout', ['STEP_START:a', 'META:k:v', 'STEP_COMPLETE:a'], T0);
    expect(started[0]).toEqual({
      id: 1,
      parentId: null,
      name: 'a',
      status: 'running',
      startedAt: '2025-01-01T12:00:00.000Z',
      endedAt: null,
      durationMs: null,
      meta: {},
      implicit: false,
      source: 'stepflow',
      error: null,
      estimatedDurationSeconds: null,
      firstSeq: 1,
      hasSummary: false,
    });
  });

  it('throws a StepflowError when used after finish()', () => {
    const t = setup();
    t.end();
    expect(() => t.print('late')).toThrow(StepflowError);
    expect(() => t.end()).toThrow(/after finish/);
  });
});

describe('a whole README script', () => {
  it('turns the shell example into three steps with their artifacts', () => {
    const t = setup();
    t.print(
      [
        'STEP_START:环境设置',
        'Collecting numpy',
        'STEP_COMPLETE:环境设置',
        'STEP_START:模型训练',
        'epoch 1/3',
        'ARTIFACT:model.pkl:训练好的模型',
        'ARTIFACT:training.log:训练输出',
        'STEP_COMPLETE:模型训练',
        'STEP_START:模型评估',
        'ARTIFACT:results.json:评估结果',
        'STEP_COMPLETE:模型评估',
      ].join('\n'),
    );
    t.end('succeeded');
    expect(t.tree()).toEqual({
      环境设置: ['succeeded', null],
      模型训练: ['succeeded', null],
      模型评估: ['succeeded', null],
    });
    expect(t.artifacts.map((a) => [a.path, a.description, a.stepId])).toEqual([
      ['model.pkl', '训练好的模型', 2],
      ['training.log', '训练输出', 2],
      ['results.json', '评估结果', 3],
    ]);
  });
});
