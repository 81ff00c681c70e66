#!/usr/bin/env node
// The browser tests drive Debian's Chromium (playwright's own browser download cannot work here).
// Installs it with apt-get when it is missing and we can (root on Debian/Ubuntu); otherwise says
// exactly what to install and fails, so the test command never half-runs.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';

const CHROMIUM = process.env.STEPFLOW_CHROMIUM ?? '/usr/bin/chromium';

if (fs.existsSync(CHROMIUM)) process.exit(0);

const hasAptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const sudo = isRoot
  ? []
  : spawnSync('sh', ['-c', 'command -v sudo'], { stdio: 'ignore' }).status === 0
    ? ['sudo', '-n']
    : null;

if (!hasAptGet || sudo === null) {
  console.error(
    `The browser tests need Chromium at ${CHROMIUM}.\n` +
      '  Debian/Ubuntu: sudo apt-get install -y chromium\n' +
      '  Elsewhere: install Chromium or Chrome and set STEPFLOW_CHROMIUM=/path/to/chromium',
  );
  process.exit(1);
}

console.log(`Chromium is missing at ${CHROMIUM}: installing Debian's chromium package with apt-get…`);
const run = (args) => {
  const [command, ...rest] = [...sudo, ...args];
  execFileSync(command, rest, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
};
try {
  run(['apt-get', 'update', '-q']);
  run(['apt-get', 'install', '-y', '-q', '--no-install-recommends', 'chromium', 'fonts-noto-cjk']);
} catch {
  console.error('apt-get could not install chromium; install it by hand: apt-get install -y chromium');
  process.exit(1);
}
if (!fs.existsSync(CHROMIUM)) {
  console.error(`apt-get finished but ${CHROMIUM} is still missing; set STEPFLOW_CHROMIUM to its path.`);
  process.exit(1);
}
