/** What a run's processes get of the environment of the StepFlow process that starts them. */
export interface ChildEnvironmentPolicy {
  /**
   * `all`: the whole environment (a CLI run: it is the user's own shell); `allow-list`: only
   * {@link BASE_ALLOW_LIST} and `passThrough` (a server run: the server's variables are not the
   * scripts' business).
   */
  inherit: 'all' | 'allow-list';
  /** Names or globs (`CUDA_*`) passed besides the allow-list; `*` passes everything. */
  passThrough: readonly string[];
  /** Names or globs never passed, whatever `inherit` and `passThrough` say. */
  serverOnly: readonly string[];
}

/** What a CLI run gets: the user's environment minus StepFlow's own variables. */
export const INHERIT_ALL: ChildEnvironmentPolicy = { inherit: 'all', passThrough: [], serverOnly: [] };

/** What a server run gets of the server's environment when the operator adds nothing. */
const BASE_ALLOW_LIST: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TZ',
  'TERM',
  'TMPDIR',
  ...['http_proxy', 'https_proxy', 'no_proxy', 'all_proxy'].flatMap((name) => [name, name.toUpperCase()]),
];

/**
 * Set for every run unless the parent (where inherited) or the run sets them: StepFlow exists to
 * show output as it is printed, and Python holds a piped stdout back in 8 KiB blocks otherwise
 * (steps would start late and lines arrive in bursts).
 */
const LIVE_OUTPUT_DEFAULTS: Readonly<Record<string, string>> = { PYTHONUNBUFFERED: '1' };

/**
 * The parent's variables StepFlow never passes on: its own settings, API keys and tokens among
 * them. A run gets only the `STEPFLOW_*` variables StepFlow sets for it.
 */
const STEPFLOW_PREFIX = 'STEPFLOW_';

export interface ChildEnvironmentInput {
  parent: NodeJS.ProcessEnv;
  policy: ChildEnvironmentPolicy;
  /** The run's (or job's) own `env`: any name except those in `stepflowVars`. */
  runEnv: Readonly<Record<string, string>>;
  /** What StepFlow sets for the run (STEPFLOW_EXECUTION_ID…); wins over everything. */
  stepflowVars: Readonly<Record<string, string>>;
}

/**
 * The whole environment of a run's main process: the live-output defaults, what the policy takes
 * from the parent, then the run's own env, then StepFlow's variables for the run.
 */
export function childEnvironment({
  parent,
  policy,
  runEnv,
  stepflowVars,
}: ChildEnvironmentInput): Record<string, string> {
  const passes =
    policy.inherit === 'all' ? () => true : globMatcher([...BASE_ALLOW_LIST, ...policy.passThrough]);
  const serverOnly = globMatcher(policy.serverOnly);
  const env: Record<string, string> = { ...LIVE_OUTPUT_DEFAULTS };
  for (const [name, value] of Object.entries(parent)) {
    if (value === undefined || name.startsWith(STEPFLOW_PREFIX) || serverOnly(name) || !passes(name))
      continue;
    env[name] = value;
  }
  return Object.assign(env, runEnv, stepflowVars);
}

/** One test for a list of names and `*` globs; names are case-sensitive, as the environment is. */
function globMatcher(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => false;
  const escape = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  const source = patterns.map((pattern) => pattern.split('*').map(escape).join('.*')).join('|');
  const regex = new RegExp(`^(?:${source})$`, 's');
  return (name) => regex.test(name);
}
