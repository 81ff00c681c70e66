#!/usr/bin/env node
// The browser tests drive Debian's Chromium (playwright's own browser download cannot work here).
import fs from 'node:fs';
import { aptInstall } from './lib/apt-install.js';

const CHROMIUM = process.env.STEPFLOW_CHROMIUM ?? '/usr/bin/chromium';

if (!fs.existsSync(CHROMIUM)) {
  aptInstall({
    what: `Chromium at ${CHROMIUM}`,
    packages: ['chromium', 'fonts-noto-cjk'],
    manual:
      '  Debian/Ubuntu: sudo apt-get install -y chromium\n' +
      '  Elsewhere: install Chromium or Chrome and set STEPFLOW_CHROMIUM=/path/to/chromium',
  });
  if (!fs.existsSync(CHROMIUM)) {
    console.error(`apt-get finished but ${CHROMIUM} is still missing; set STEPFLOW_CHROMIUM to its path.`);
    process.exit(1);
  }
}
