import { describe, expect, it } from 'vitest';
import type { Annotation } from '../model.js';
import { LineFlag } from '../model.js';
import type { InterpreterSink } from './log-interpreter.js';
import { createLogInterpreter } from './log-interpreter.js';

/**
 * The GitHub runner's own unit-test expectations for workflow commands, as data. Each row names
 * the test in actions/runner it comes from (`src/Test/L0/Worker/ActionCommandL0.cs`,
 * `ActionCommandManagerL0.cs`; rules in `src/Runner.Worker/ActionCommandManager.cs`). The runner's
 * parser tests use a made-up command `do-something`: here `warning` stands for it, its data
 * becoming the message and `k1` the title. A row with `exception` is where StepFlow deliberately
 * differs (listed in docs/MARKERS.md); it asserts what StepFlow does instead.
 */
interface Row {
  runner: string;
  print: string[];
  /** Every annotation, with these fields (the rest must be null). */
  annotations?: Partial<Annotation>[];
  /** The stored log: text, and whether the line is a marker. */
  log?: [string, boolean][];
  /** `mask(text)` after the lines, for each text. */
  masks?: Record<string, string>;
  exception?: string;
}

const PLAIN = false;
const MARKER = true;
const NO_POSITION = { title: null, file: null, line: null, col: null, endLine: null, endCol: null };
const warning = (fields: Partial<Annotation>): Partial<Annotation> => ({
  level: 'warning',
  message: 'this is a warning',
  ...NO_POSITION,
  ...fields,
});

const ROWS: Row[] = [
  // ActionCommandL0.CommandParserTest: the older `##[command k=v;]data` form.
  {
    runner: 'CommandParserTest: ##[do-something k1=v1;]msg',
    print: ['##[warning title=v1;]msg'],
    annotations: [warning({ message: 'msg', title: 'v1' })],
  },
  {
    runner: 'CommandParserTest: ##[do-something] (no data)',
    print: ['##[group]g', '##[endgroup]'],
    log: [
      ['##[group]g', MARKER],
      ['##[endgroup]', MARKER],
    ],
  },
  {
    runner: 'CommandParserTest: ##[do-something k1=%3B=%0D=%0A=%5D;]%3B-%0D-%0A-%5D',
    print: ['##[warning title=%3B=%0D=%0A=%5D;]%3B-%0D-%0A-%5D'],
    annotations: [warning({ message: ';-\r-\n-]', title: ';=\r=\n=]' })],
  },
  {
    runner: 'CommandParserTest: ##[do-something k1=%253B=%250D=%250A=%255D;]%253B-%250D-%250A-%255D',
    print: ['##[warning title=%253B=%250D=%250A=%255D;]%253B-%250D-%250A-%255D'],
    annotations: [warning({ message: '%3B-%0D-%0A-%5D', title: '%3B=%0D=%0A=%5D' })],
  },
  {
    runner: 'CommandParserTest: ##[do-something k1=;k2=;] (no properties)',
    print: ['##[warning title=;file=;]msg'],
    annotations: [warning({ message: 'msg' })],
  },
  {
    runner: 'CommandParserTest: >>>   ##[do-something k1=v1;]msg (found anywhere in the line)',
    print: ['>>>   ##[warning title=v1;]msg'],
    annotations: [],
    log: [['>>>   ##[warning title=v1;]msg', PLAIN]],
    exception: 'every marker must start its line (after spaces and ANSI codes), the ##[ form too',
  },

  // ActionCommandL0.CommandParserV2Test: `::command k=v,k=v::data`.
  {
    runner: 'CommandParserV2Test: ::do-something k1=v1,::msg',
    print: ['::warning title=v1,::msg'],
    annotations: [warning({ message: 'msg', title: 'v1' })],
  },
  {
    runner: 'CommandParserV2Test: ::do-something:: (no data)',
    print: ['::group::g', '::endgroup::'],
    log: [
      ['::group::g', MARKER],
      ['::endgroup::', MARKER],
    ],
  },
  {
    runner: 'CommandParserV2Test: ::do-something k1=;=%2C=%0D=%0A=]=%3A,::;-%0D-%0A-]-:-,',
    print: ['::warning title=;=%2C=%0D=%0A=]=%3A,::;-%0D-%0A-]-:-,'],
    annotations: [warning({ message: ';-\r-\n-]-:-,', title: ';=,=\r=\n=]=:' })],
  },
  {
    runner: 'CommandParserV2Test: ::do-something k1=;=%252C=%250D=%250A=]=%253A,::;-%250D-%250A-]-:-,',
    print: ['::warning title=;=%252C=%250D=%250A=]=%253A,::;-%250D-%250A-]-:-,'],
    annotations: [warning({ message: ';-%0D-%0A-]-:-,', title: ';=%2C=%0D=%0A=]=%3A' })],
  },
  {
    runner: 'CommandParserV2Test: ::do-something k1=,k2=,:: (no properties)',
    print: ['::warning title=,file=,::msg'],
    annotations: [warning({ message: 'msg' })],
  },
  {
    runner: 'CommandParserV2Test: ::do-something k1=v1:: (no data)',
    print: ['::warning title=v1::'],
    annotations: [],
    log: [['::warning title=v1::', PLAIN]],
    exception: 'an annotation needs a message (and a group a title): without one the line is plain text',
  },
  {
    runner: 'CommandParserV2Test:    ::do-something k1=v1,::msg (leading spaces)',
    print: ['   ::warning title=v1,::msg'],
    annotations: [warning({ message: 'msg', title: 'v1' })],
  },
  {
    runner: 'CommandParserV2Test:    >>>   ::do-something k1=v1,::msg (not at the start)',
    print: ['   >>>   ::warning title=v1,::msg'],
    annotations: [],
  },

  // ActionCommandManagerL0.IssueCommandInvalidColumns: ValidateLinesAndColumns.
  {
    runner: 'IssueCommandInvalidColumns: columns when lines are different',
    print: ['::warning line=1,endLine=2,col=1,endColumn=2::this is a warning'],
    annotations: [warning({ line: 1, endLine: 2 })],
  },
  {
    runner: 'IssueCommandInvalidColumns: no lines with columns',
    print: ['::warning col=1,endColumn=2::this is a warning'],
    annotations: [warning({})],
  },
  {
    runner: 'IssueCommandInvalidColumns: no line with endLine',
    print: ['::warning endLine=1::this is a warning'],
    annotations: [warning({ line: 1, endLine: 1 })],
  },
  {
    runner: 'IssueCommandInvalidColumns: no column with endColumn',
    print: ['::warning line=1,endColumn=2::this is a warning'],
    annotations: [warning({ line: 1, col: 2, endCol: 2 })],
  },
  {
    runner: 'IssueCommandInvalidColumns: empty strings',
    print: ['::warning line=,endLine=3::this is a warning'],
    annotations: [warning({ line: 3, endLine: 3 })],
  },
  {
    runner: 'IssueCommandInvalidColumns: nonsensical line values',
    print: ['::warning line=4,endLine=3::this is a warning'],
    annotations: [warning({})],
  },
  {
    runner: 'IssueCommandInvalidColumns: nonsensical column values',
    print: ['::warning line=1,endLine=1,col=3,endColumn=2::this is a warning'],
    annotations: [warning({ line: 1, endLine: 1 })],
  },
  {
    runner: 'IssueCommandInvalidColumns: valid',
    print: ['::warning line=1,endLine=1,col=1,endColumn=2::this is a warning'],
    annotations: [warning({ line: 1, endLine: 1, col: 1, endCol: 2 })],
  },
  {
    runner: 'IssueCommandInvalidColumns: backwards compatibility',
    print: ['::warning line=1,col=1,file=test.txt::this is a warning'],
    annotations: [warning({ line: 1, col: 1, file: 'test.txt' })],
  },

  // ActionCommandManagerL0.AddMaskWithMultilineValue: split on CR and on LF.
  {
    runner: 'AddMaskWithMultilineValue',
    print: ['::add-mask::abc%0Ddef%0Aghi%0D%0Ajkl', '::add-mask:: %0D  %0A   %0D%0A    %0D'],
    masks: {
      abc: '***',
      def: '***',
      ghi: '***',
      jkl: '***',
      'abc\rdef\nghi\r\njkl': '***',
      '': '',
      ' ': ' ',
      '  ': '  ',
      '   ': '   ',
      '    ': '    ',
    },
    // AddMaskCommandExtension: a blank value is refused with a warning.
    annotations: [
      {
        level: 'warning',
        message: "Can't add secret mask for empty string in ##[add-mask] command.",
        ...NO_POSITION,
      },
    ],
  },

  // ActionCommandManagerL0: ::stop-commands::.
  {
    runner: 'StopProcessCommand: ##[stop-commands]stopToken … ##[stopToken]',
    print: ['##[stop-commands]stopToken', '##[warning]while stopped', '##[stopToken]', '##[warning]after'],
    annotations: [warning({ message: 'after' })],
    // The token is longer than 6 characters: masked, in the stop and the resume lines too.
    log: [
      ['##[stop-commands]***', MARKER],
      ['##[warning]while stopped', PLAIN],
      ['##[***]', MARKER],
      ['##[warning]after', MARKER],
    ],
  },
  {
    runner: 'StopProcessCommandAcceptsValidToken',
    print: [
      '::stop-commands::randomToken',
      '##[warning]while stopped',
      '::randomToken::',
      '##[warning]after',
    ],
    annotations: [warning({ message: 'after' })],
  },
  {
    runner: 'StopProcessCommandMasksValidTokenForEntireRun (while stopped)',
    print: ['::stop-commands::randomToken', '##[warning]while stopped'],
    masks: { randomToken: '***' },
  },
  {
    runner: 'StopProcessCommandMasksValidTokenForEntireRun (after resuming)',
    print: ['::stop-commands::randomToken', '::randomToken::', '::warning::after'],
    masks: { randomToken: '***' },
    annotations: [warning({ message: 'after' })],
  },
  {
    runner: 'ActionCommandManager.cs: a token of 6 characters or fewer is not masked',
    print: ['::stop-commands::p4us3', '::p4us3::'],
    masks: { p4us3: 'p4us3' },
    log: [
      ['::stop-commands::p4us3', MARKER],
      ['::p4us3::', MARKER],
    ],
  },
  ...['stop-commands', '', 'set-env', 'pause-logging'].map((token): Row => ({
    runner: `StopProcessCommand__FailOnInvalidStopTokens: "${token}"`,
    print: [`::stop-commands::${token}`, '::warning::still processed'],
    annotations: [
      { level: 'error', message: expect.stringMatching(/^::stop-commands:: refused the token/) as string },
      warning({ message: 'still processed' }),
    ],
    exception: 'the runner fails the step; StepFlow records an error annotation and goes on',
  })),
  ...['stop-commands', '', 'set-env'].map((token): Row => ({
    runner: `StopProcessCommand__AllowsInvalidStopTokens__IfEnvVarIsSet: "${token}"`,
    print: [`::stop-commands::${token}`, '::warning::still processed'],
    annotations: [
      { level: 'error', message: expect.stringMatching(/^::stop-commands:: refused the token/) as string },
      warning({ message: 'still processed' }),
    ],
    exception: 'ACTIONS_ALLOW_UNSECURE_STOPCOMMAND_TOKENS is not honoured: such tokens are always refused',
  })),

  // Commands the runner implements and StepFlow does not (EchoProcessCommand,
  // EchoProcessCommandInvalid, AddMatcherTranslatesFilePath, SaveStateCommand_EmitsTelemetryOnce,
  // EnablePluginInternalCommand).
  {
    runner: 'EchoProcessCommand, AddMatcherTranslatesFilePath, SaveStateCommand, …',
    print: [
      '::echo::on',
      '::add-matcher::m.json',
      '::save-state name=foo::bar',
      '##[internal-set-repo-path repoFullName=a/b;workspaceRepo=true]p',
    ],
    annotations: [],
    log: [
      ['::echo::on', PLAIN],
      ['::add-matcher::m.json', PLAIN],
      ['::save-state name=foo::bar', PLAIN],
      ['##[internal-set-repo-path repoFullName=a/b;workspaceRepo=true]p', PLAIN],
    ],
    exception: 'echo, problem matchers, state and env files are not supported: the lines stay text',
  },

  // SetOutputCommand (deprecated, still run): an output of the run; the line stays, flagged.
  {
    runner: 'SetOutputCommand',
    print: ['::set-output name=foo::bar'],
    annotations: [],
    log: [['::set-output name=foo::bar', MARKER]],
    exception: 'the line stays in the log, flagged as a marker',
  },
];

const noop = (): void => {};

function run(print: string[]) {
  const annotations: Annotation[] = [];
  const sink: InterpreterSink = {
    stepStarted: noop,
    stepUpdated: noop,
    stepFinished: noop,
    artifactDeclared: noop,
    annotationAdded: (annotation) => annotations.push(annotation),
    executionMeta: noop,
    executionError: noop,
    outputSet: noop,
  };
  const interpreter = createLogInterpreter({ sink });
  interpreter.pushLines('stdout', print, 0);
  return { interpreter, annotations, lines: interpreter.takeLines() };
}

describe('GitHub workflow commands behave as in the GitHub runner', () => {
  for (const row of ROWS) {
    it(`${row.runner}${row.exception ? ` — StepFlow exception: ${row.exception}` : ''}`, () => {
      const { interpreter, annotations, lines } = run(row.print);
      if (row.annotations) {
        expect(annotations.map(({ id: _id, stepId: _step, seq: _seq, ...rest }) => rest)).toEqual(
          row.annotations.map((a) => expect.objectContaining(a) as unknown),
        );
      }
      if (row.log) {
        expect(lines.map((l) => [l.text, (l.flags & LineFlag.Marker) !== 0])).toEqual(row.log);
      }
      for (const [text, masked] of Object.entries(row.masks ?? {})) {
        expect(interpreter.mask(text), JSON.stringify(text)).toBe(masked);
      }
    });
  }
});
