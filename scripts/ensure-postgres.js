#!/usr/bin/env node
// The PostgreSQL tests start their own server (initdb + pg_ctl in a temp dir on a free port), so
// they need PostgreSQL's server programs, not a running server. Debian puts them in
// /usr/lib/postgresql/<version>/bin; STEPFLOW_PG_BIN points elsewhere.
import { aptInstall } from './lib/apt-install.js';
import { findPostgresBin } from './lib/postgres-bin.js';

if (findPostgresBin() === undefined) {
  aptInstall({
    what: 'PostgreSQL server programs (initdb, pg_ctl)',
    packages: ['postgresql-15'],
    manual:
      '  Debian/Ubuntu: sudo apt-get install -y postgresql-15\n' +
      '  Elsewhere: install PostgreSQL 15+ and set STEPFLOW_PG_BIN to the folder holding initdb',
  });
  if (findPostgresBin() === undefined) {
    console.error('apt-get finished but initdb is still missing; set STEPFLOW_PG_BIN to its folder.');
    process.exit(1);
  }
}
