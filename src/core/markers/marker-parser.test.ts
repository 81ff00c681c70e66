import { describe, expect, it } from 'vitest';
import type { Marker } from './marker.js';
import { createMarkerParser } from './marker-parser.js';

const start = (name: string, source: 'stepflow' | 'github' | 'buildkite' = 'stepflow'): Marker => ({
  kind: 'step-start',
  name,
  source,
});
const complete = (name: string | null): Marker => ({ kind: 'step-end', name, source: 'stepflow' });
const artifact = (path: string, description: string): Marker => ({ kind: 'artifact', path, description });
const meta = (key: string, value: string): Marker => ({ kind: 'meta', key, value });
const output = (name: string, value: string): Marker => ({ kind: 'set-output', name, value });
const annotation = (level: 'error' | 'warning' | 'notice', message: string, props: object = {}): Marker => ({
  kind: 'annotation',
  level,
  message,
  title: null,
  file: null,
  line: null,
  col: null,
  endLine: null,
  endCol: null,
  ...props,
});

type Row = [description: string, line: string, expected: Marker | null];

/** Every marker example of the original StepFlow Monitor README, verbatim. */
const README: Row[] = [
  ['shell: start', 'STEP_START:环境设置', start('环境设置')],
  ['shell: plain output', 'pip install -r requirements.txt', null],
  ['shell: complete', 'STEP_COMPLETE:环境设置', complete('环境设置')],
  ['shell: start (trailing spaces)', 'STEP_START:模型训练  ', start('模型训练')],
  ['shell: artifact', 'ARTIFACT:model.pkl:训练好的模型', artifact('model.pkl', '训练好的模型')],
  ['shell: artifact log', 'ARTIFACT:training.log:训练输出', artifact('training.log', '训练输出')],
  ['shell: artifact json', 'ARTIFACT:results.json:评估结果', artifact('results.json', '评估结果')],
  ['python: start', 'STEP_START:数据处理', start('数据处理')],
  [
    'python: artifact',
    'ARTIFACT:cleaned_data.csv:清理后的数据集',
    artifact('cleaned_data.csv', '清理后的数据集'),
  ],
  ['docker (classic builder) echo output', 'STEP_START:基础镜像', start('基础镜像')],
  ['docker (classic builder) step line', 'Step 2/7 : RUN echo "STEP_START:基础镜像"', null],
  ['docker (classic builder) arrow line', ' ---> Running in 3f1a2b3c4d5e', null],
  ['docker BuildKit RUN line', '#5 [2/4] RUN echo "STEP_START:基础镜像"', null],
  ['docker BuildKit output line', '#5 0.215 STEP_START:基础镜像', start('基础镜像')],
  ['docker BuildKit done line', '#5 DONE 0.3s', null],
  ['error handling: success text', '✅ 数据验证通过', null],
  [
    'error handling: error',
    'STEP_ERROR:数据格式不正确或包含缺失值',
    { kind: 'step-error', message: '数据格式不正确或包含缺失值' },
  ],
  ['meta: estimated duration', 'META:ESTIMATED_DURATION:300', meta('ESTIMATED_DURATION', '300')],
  ['meta: description', 'META:DESCRIPTION:训练深度学习模型', meta('DESCRIPTION', '训练深度学习模型')],
  ['meta: h5 artifact', 'ARTIFACT:model.h5:训练好的模型', artifact('model.h5', '训练好的模型')],
  [
    'conditional: artifact',
    'ARTIFACT:optimized_model.pkl:优化后的模型',
    artifact('optimized_model.pkl', '优化后的模型'),
  ],
  ['reference: artifact', 'ARTIFACT:文件路径:描述', artifact('文件路径', '描述')],
  ['reference: meta', 'META:键:值', meta('键', '值')],
];

const NORMALISATION: Row[] = [
  ['ANSI colours around a marker', '\x1b[32mSTEP_START:build\x1b[0m', start('build')],
  ['ANSI inside the keyword', 'S\x1b[0mTEP_\x1b[1mSTART:x', start('x')],
  ['ANSI inside the name', 'STEP_START:\x1b[1mbold\x1b[22m name', start('bold name')],
  ['OSC title before a marker', '\x1b]0;title\x07STEP_START:x', start('x')],
  ['CRLF line ending', 'STEP_START:build\r', start('build')],
  ['leading spaces and tabs', '  \t STEP_START:build', start('build')],
  ['leading whitespace then ANSI', '  \x1b[0m  STEP_COMPLETE:build', complete('build')],
  ['name is trimmed', 'STEP_START:   spaced name   ', start('spaced name')],
  ['mid-sentence marker is text', 'echo STEP_START:build', null],
  ['quoted marker is text', '"STEP_START:build"', null],
  ['keyword is case-sensitive (lower)', 'step_start:build', null],
  ['keyword is case-sensitive (prose)', 'Step_start: blah', null],
  ['keyword without colon', 'STEP_START build', null],
  ['keyword run-on', 'STEP_STARTED:build', null],
  ['empty line', '', null],
  ['whitespace line', ' \t\r', null],
];

const STEPFLOW: Row[] = [
  ['STEP_COMPLETE with empty name closes the innermost', 'STEP_COMPLETE:', complete(null)],
  ['STEP_COMPLETE with blank name', 'STEP_COMPLETE:   ', complete(null)],
  ['STEP_ERROR without message', 'STEP_ERROR:', { kind: 'step-error', message: '' }],
  ['STEP_ERROR message keeps colons', 'STEP_ERROR:exit: 2', { kind: 'step-error', message: 'exit: 2' }],
  [
    'artifact description may contain colons',
    'ARTIFACT:out/model.bin:model: v2',
    artifact('out/model.bin', 'model: v2'),
  ],
  ['artifact without description', 'ARTIFACT:dist/app.tar.gz', artifact('dist/app.tar.gz', '')],
  ['artifact with trailing colon', 'ARTIFACT:dist/app.tar.gz:', artifact('dist/app.tar.gz', '')],
  ['artifact parts are trimmed', 'ARTIFACT: dist/*.tar.gz : bundles ', artifact('dist/*.tar.gz', 'bundles')],
  [
    'artifact Windows drive (backslash)',
    'ARTIFACT:C:\\out\\model.pkl:Windows build',
    artifact('C:\\out\\model.pkl', 'Windows build'),
  ],
  ['artifact Windows drive (slash), no description', 'ARTIFACT:c:/out/a.txt', artifact('c:/out/a.txt', '')],
  ['artifact one-letter path is not a drive', 'ARTIFACT:a:b', artifact('a', 'b')],
  ['meta value may contain colons', 'META:url:http://host:8080/a', meta('url', 'http://host:8080/a')],
  ['meta empty value', 'META:flag:', meta('flag', '')],
  ['meta parts are trimmed', 'META: owner : team a ', meta('owner', 'team a')],
  ['OUTPUT: an output of the run', 'OUTPUT:version=1.2.3', output('version', '1.2.3')],
  ['OUTPUT value keeps = and spaces', 'OUTPUT: url = a=b c ', output('url', ' a=b c ')],
  ['OUTPUT with an empty value', 'OUTPUT:empty=', output('empty', '')],
  ['OUTPUT ends before a CR', 'OUTPUT:k=v\r', output('k', 'v')],
  ['OUTPUT behind ANSI codes', '\x1b[32mOUTPUT:k=v', output('k', 'v')],
];

const MALFORMED: Row[] = [
  ['STEP_START with empty name', 'STEP_START:', null],
  ['STEP_START with blank name', 'STEP_START:   \r', null],
  ['ARTIFACT with empty path', 'ARTIFACT:', null],
  ['ARTIFACT with empty path and description', 'ARTIFACT::desc', null],
  ['META without value separator', 'META:novalue', null],
  ['META with empty key', 'META::value', null],
  ['OUTPUT without =', 'OUTPUT:novalue', null],
  ['OUTPUT with an empty key', 'OUTPUT: =v', null],
  ['OUTPUT not at the start', 'echo OUTPUT:k=v', null],
  ['lower-case output', 'output:k=v', null],
  ['a word starting like OUTPUT', 'OUTPUTS:k=v', null],
  ['GitHub error with garbage properties and no message', '::error file=::', null],
  ['GitHub group without a title', '::group::', null],
  ['GitHub command without closing colons', '::error file=a.js', null],
  ['GitLab section without timestamp', 'section_start::name', null],
  ['GitLab section with non-numeric timestamp', 'section_start:abc:name', null],
  ['GitLab section without a name', 'section_start:123:', null],
  ['GitLab section_end without a name', 'section_end:123:\r', null],
  ['Buildkite header without a name', '--- ', null],
  ['Buildkite marker without space', '---Build', null],
  ['YAML document separator', '---', null],
  ['longer dash rule', '----- x', null],
  ['BuildKit prefix without seconds', '#12 STEP_START:x', null],
  ['hash comment', '# STEP_START:x', null],
];

const GITHUB: Row[] = [
  ['group', '::group::Build app', start('Build app', 'github')],
  ['group title is unescaped', '::group::100%25 done', start('100% done', 'github')],
  ['endgroup', '::endgroup::', { kind: 'step-end', name: null, source: 'github' }],
  [
    'error with every property',
    '::error file=a.js,line=1,col=5,endLine=1,endColumn=7,title=T::msg',
    annotation('error', 'msg', { file: 'a.js', line: 1, col: 5, endLine: 1, endCol: 7, title: 'T' }),
  ],
  ['warning without properties', '::warning::disk almost full', annotation('warning', 'disk almost full')],
  [
    'notice with escaped property and message',
    '::notice title=Hi%2C you%3A x::line1%0Aline2',
    annotation('notice', 'line1\nline2', { title: 'Hi, you: x' }),
  ],
  [
    'message escapes %25 %0D but not %3A',
    '::error::100%25%0Ddone a%3Ab',
    annotation('error', '100%\rdone a%3Ab'),
  ],
  ['escapes are undone once (%253A)', '::error title=%253A::m', annotation('error', 'm', { title: '%3A' })],
  ['command names are case-insensitive', '::ERROR::boom', annotation('error', 'boom')],
  [
    'property names are case-insensitive; a space is part of a name, as on GitHub',
    '::error FILE=x.ts, Line=3,Col=4::m',
    annotation('error', 'm', { file: 'x.ts' }),
  ],
  ['non-numeric positions are null', '::error line=abc,col=0::m', annotation('error', 'm')],
  [
    'unknown properties are ignored',
    '::warning foo=bar,file=f::m',
    annotation('warning', 'm', { file: 'f' }),
  ],
  ['empty property value is ignored', '::error file=,line=4::m', annotation('error', 'm', { line: 4 })],
  ['add-mask', '::add-mask::s3cr3t', { kind: 'add-mask', value: 's3cr3t' }],
  ['add-mask is unescaped', '::add-mask::a%25b', { kind: 'add-mask', value: 'a%b' }],
  [
    "add-mask with nothing to mask: the runner's warning",
    '::add-mask::  ',
    annotation('warning', "Can't add secret mask for empty string in ##[add-mask] command."),
  ],
  ['other workflow commands are text', '::debug::hello', null],
  ['set-output', '::set-output name=a::b', { kind: 'set-output', name: 'a', value: 'b' }],
  [
    'set-output keeps its value as it is',
    '::set-output name=a::  b%25 ',
    { kind: 'set-output', name: 'a', value: '  b% ' },
  ],
  [
    "set-output without a name: the runner's error",
    '::set-output ::b',
    annotation('error', "Required field 'name' is missing in ##[set-output] command."),
  ],
  ['behind a BuildKit prefix', '#8 0.318 ::group::inside docker', start('inside docker', 'github')],
  ['the older ##[ form', '##[group]Build app', start('Build app', 'github')],
  [
    'the older ##[ form with ;-separated properties and its escapes',
    '##[warning file=a%3Bb.js;line=3]x%5D%3By',
    annotation('warning', 'x];y', { file: 'a;b.js', line: 3 }),
  ],
  ['the older ##[ form only at the start of a line', 'see ##[error]x', null],
  [
    'the older ##[ form behind a BuildKit prefix',
    '#8 0.318 ##[endgroup]',
    { kind: 'step-end', name: null, source: 'github' },
  ],
];

const GITLAB: Row[] = [
  [
    'section_start with header (GitLab wrapper)',
    '\x1b[0Ksection_start:1560896352:my_first_section\r\x1b[0KHeader text',
    { kind: 'step-start', name: 'Header text', source: 'gitlab', key: 'my_first_section' },
  ],
  [
    'section_start with options',
    '\x1b[0Ksection_start:1560896352:my_section[collapsed=true]\r\x1b[0KBuild',
    { kind: 'step-start', name: 'Build', source: 'gitlab', key: 'my_section' },
  ],
  [
    'section_start without header uses the name',
    'section_start:1560896352:install_deps',
    { kind: 'step-start', name: 'install_deps', source: 'gitlab', key: 'install_deps' },
  ],
  [
    'section_start with empty header uses the name',
    '\x1b[0Ksection_start:1:deps\r\x1b[0K',
    { kind: 'step-start', name: 'deps', source: 'gitlab', key: 'deps' },
  ],
  [
    'section_end (GitLab wrapper)',
    '\x1b[0Ksection_end:1560896353:my_first_section\r\x1b[0K',
    { kind: 'step-end', name: 'my_first_section', source: 'gitlab', key: 'my_first_section' },
  ],
  [
    'section_end plain',
    'section_end:1560896353:deps',
    { kind: 'step-end', name: 'deps', source: 'gitlab', key: 'deps' },
  ],
];

const BUILDKITE: Row[] = [
  ['--- header', '--- Build', start('Build', 'buildkite')],
  ['+++ header', '+++ Run tests', start('Run tests', 'buildkite')],
  ['~~~ header', '~~~ Setup', start('Setup', 'buildkite')],
  ['header after a tab', '---\tLint', start('Lint', 'buildkite')],
  ['header with emoji shortcode', '--- :docker: Build image', start(':docker: Build image', 'buildkite')],
  ['^^^ +++', '^^^ +++', { kind: 'reopen-previous' }],
  ['^^^ +++ with CR', '^^^ +++\r', { kind: 'reopen-previous' }],
  ['^^^ with anything else is text', '^^^ +++ now', null],
  ['Go test result is not a header', '--- PASS: TestParse (0.00s)', null],
  ['Go test failure is not a header', '    --- FAIL: TestParse/sub (0.01s)', null],
  ['Go test skip is not a header', '--- SKIP: TestSlow (0.00s)', null],
  ['diff new /dev/null is not a header', '+++ /dev/null', null],
  ['diff old-file header is not a header', '--- a/src/app.ts', null],
  ['diff new-file header is not a header', '+++ b/src/app.ts', null],
  ['diff /dev/null is not a header', '--- /dev/null', null],
];

describe('createMarkerParser().parse', () => {
  const table: [string, Row[]][] = [
    ['README examples', README],
    ['normalisation', NORMALISATION],
    ['StepFlow markers', STEPFLOW],
    ['malformed markers are plain text', MALFORMED],
    ['GitHub Actions', GITHUB],
    ['GitLab', GITLAB],
    ['Buildkite', BUILDKITE],
  ];
  for (const [group, rows] of table) {
    describe(group, () => {
      it.each(rows)('%s: %j', (_description, line, expected) => {
        expect(createMarkerParser().parse(line)).toEqual(expected);
      });
    });
  }
});

describe('::stop-commands::', () => {
  const parseAll = (lines: string[]): (Marker | null)[] => {
    const parser = createMarkerParser();
    return lines.map((line) => parser.parse(line));
  };

  it('suspends every dialect, StepFlow markers included, until ::TOKEN::', () => {
    const results = parseAll([
      '::stop-commands::p4us3',
      'STEP_START:x',
      'ARTIFACT:a.txt',
      '::group::g',
      '::add-mask::secret',
      '--- header',
      'section_start:1:s',
      '#3 0.100 STEP_START:x',
      '::p4us3::',
      'STEP_START:x',
    ]);
    expect(results).toEqual([
      { kind: 'stop-commands', token: 'p4us3', masked: false },
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      { kind: 'resume-commands' },
      start('x'),
    ]);
  });

  it('matches the resume token case-insensitively, through ANSI codes and CRLF', () => {
    expect(parseAll(['::stop-commands::Tok', '\x1b[0m::TOK::\r', 'STEP_START:x'])).toEqual([
      { kind: 'stop-commands', token: 'Tok', masked: false },
      { kind: 'resume-commands' },
      start('x'),
    ]);
  });

  it('ignores another token while stopped', () => {
    expect(parseAll(['::stop-commands::one', '::two::', '::stop-commands::two', 'STEP_START:x'])).toEqual([
      { kind: 'stop-commands', token: 'one', masked: false },
      null,
      null,
      null,
    ]);
  });

  it('refuses a token that is empty, a command name or pause-logging, with an error annotation', () => {
    const results = parseAll([
      '::stop-commands::',
      '::stop-commands::endgroup',
      '::stop-commands::Pause-Logging',
      '::stop-commands::SET-ENV',
      'STEP_START:x',
    ]);
    expect(results.slice(0, 4).map((m) => m?.kind === 'annotation' && [m.level, m.message])).toEqual([
      ['error', expect.stringMatching(/refused the token ""/)],
      ['error', expect.stringMatching(/refused the token "endgroup"/)],
      ['error', expect.stringMatching(/refused the token "Pause-Logging"/)],
      ['error', expect.stringMatching(/refused the token "SET-ENV"/)],
    ]);
    expect(results[4]).toEqual(start('x'));
  });

  it('resumes on the token in the older ##[ form too', () => {
    expect(parseAll(['##[stop-commands]stopToken', '##[group]g', '##[stopToken]', 'STEP_START:x'])).toEqual([
      { kind: 'stop-commands', token: 'stopToken', masked: true },
      null,
      { kind: 'resume-commands' },
      start('x'),
    ]);
  });
});
