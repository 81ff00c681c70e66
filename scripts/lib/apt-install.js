// Installs Debian packages the test command needs when they are missing and we can (root, or a
// password-less sudo, on Debian/Ubuntu); otherwise prints what to install and exits 1, so the test
// command never half-runs.
import { execFileSync, spawnSync } from 'node:child_process';

const hasCommand = (name) => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;

/**
 * @param {{ what: string, packages: string[], manual: string }} request what is missing (for the
 *   messages), the packages that bring it, and the instructions when apt-get cannot be used.
 */
export function aptInstall({ what, packages, manual }) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = isRoot ? [] : hasCommand('sudo') ? ['sudo', '-n'] : null;
  if (!hasCommand('apt-get') || sudo === null) {
    console.error(`The tests need ${what}.\n${manual}`);
    process.exit(1);
  }
  console.log(`${what} is missing: installing ${packages.join(', ')} with apt-get…`);
  const run = (args) => {
    const [command, ...rest] = [...sudo, ...args];
    execFileSync(command, rest, {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  };
  try {
    run(['apt-get', 'update', '-q']);
    run(['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...packages]);
  } catch {
    console.error(`apt-get could not install ${packages.join(', ')}; install them by hand.\n${manual}`);
    process.exit(1);
  }
}
