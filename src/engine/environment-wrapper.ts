import { EXTRA_INDEX_URLS_VARIABLE, INDEX_URL_VARIABLE } from '../core/environments.js';
import type { RunSpec } from '../core/model.js';
import { environmentDir } from './environment-build-spec.js';

/**
 * Runs before a run's own command on the host that runs it (python3 on that host's PATH): under a
 * lock per environment directory it builds the environment when the directory is not ready —
 * `venv` (or conda/micromamba) then `pip install -r`, inside STEP_START/STEP_COMPLETE markers so
 * the build is a step of the run with its log live — then replaces itself with the run's command,
 * `VIRTUAL_ENV` set and the environment's `bin` first on PATH. Argument 1: the build spec as JSON
 * with the directory; after `--`: the command (none: only build).
 */
const WRAPPER = String.raw`
import fcntl, json, os, re, shutil, socket, subprocess, sys
cfg = json.loads(sys.argv[1])
rest = sys.argv[3:]
name, d = cfg['name'], cfg['dir']
# Index URLs with their credentials (the spec has them masked): for pip only, not the run's command.
index_url = os.environ.pop('${INDEX_URL_VARIABLE}', None) or cfg['indexUrl']
extra_index_urls = json.loads(os.environ.pop('${EXTRA_INDEX_URLS_VARIABLE}', 'null')) or cfg['extraIndexUrls']
ready = os.path.join(d, '.stepflow-ready')
step = 'environment ' + name

def say(line):
    print(line, flush=True)

def fail(message):
    say('STEP_ERROR:' + message)
    sys.exit(1)

def run(cmd, what):
    # Credentials in an index URL stay out of the log.
    say('$ ' + ' '.join(re.sub(r'//[^/@\s]+@', '//***@', part) for part in cmd))
    code = subprocess.call(cmd)
    if code != 0:
        fail(f'{what} failed (exit {code}): see the lines above')

def build():
    say('STEP_START:' + step)
    shutil.rmtree(d, ignore_errors=True)
    interpreter = cfg['interpreter']
    if ':' in interpreter:
        tool, version = interpreter.split(':', 1)
        exe = shutil.which(tool)
        if exe is None:
            fail(f'{tool} is not installed on {socket.gethostname()}: install it there, or use a python3 interpreter')
        run([exe, 'create', '--yes', '--prefix', d, 'python=' + version, 'pip'], tool + ' create')
    else:
        exe = shutil.which(interpreter)
        if exe is None:
            fail(f'{interpreter} is not on the PATH of {socket.gethostname()}: install it there, or pick another interpreter')
        run([exe, '-m', 'venv', d], 'python -m venv')
    if cfg['requirements']:
        requirements = os.path.join(d, 'stepflow-requirements.txt')
        with open(requirements, 'w') as f:
            f.write('\n'.join(cfg['requirements']) + '\n')
        cmd = [os.path.join(d, 'bin', 'python'), '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input']
        if index_url:
            cmd += ['--index-url', index_url]
        for url in extra_index_urls:
            cmd += ['--extra-index-url', url]
        for host in cfg['trustedHosts']:
            cmd += ['--trusted-host', host]
        run(cmd + ['-r', requirements], 'pip install')
    with open(ready, 'w') as f:
        f.write(cfg['hash'] + '\n')
    say('STEP_COMPLETE:' + step)

os.makedirs(os.path.dirname(d), exist_ok=True)
with open(d + '.lock', 'w') as lock:
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        say(f'{step}: waiting for another run building it on this host')
        fcntl.flock(lock, fcntl.LOCK_EX)
    if os.path.exists(ready):
        say(f'{step}: ready in {d}')
    else:
        build()
env = dict(os.environ)
env['VIRTUAL_ENV'] = d
env['PATH'] = os.path.join(d, 'bin') + os.pathsep + env.get('PATH', '')
env.pop('PYTHONHOME', None)
if not rest:
    sys.exit(0)
try:
    os.execvpe(rest[0], rest, env)
except OSError as error:
    print(f'{rest[0]}: {error.strerror}', file=sys.stderr, flush=True)
    sys.exit(127)
`;

/**
 * The spec as this host runs it: a run in a Python environment goes through the wrapper above,
 * its own command after `--` (a shell string as `/bin/sh -c`, as the runner runs it). Others as given.
 */
export function hostRunSpec(spec: RunSpec, environmentsDir: string): RunSpec {
  const environment = spec.pythonEnvironment;
  if (environment === undefined) return spec;
  const own = spec.argv ?? ['/bin/sh', '-c', spec.command ?? ''];
  const config = JSON.stringify({ ...environment, dir: environmentDir(environmentsDir, environment.hash) });
  return { ...spec, command: undefined, argv: ['python3', '-c', WRAPPER, config, '--', ...own] };
}
