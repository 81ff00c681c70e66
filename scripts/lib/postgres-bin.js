// Where PostgreSQL's server programs are: STEPFLOW_PG_BIN, else the newest of Debian's
// /usr/lib/postgresql/<version>/bin, else a folder of PATH holding initdb. Shared by the install
// script and the tests' cluster helper.
import fs from 'node:fs';
import path from 'node:path';

/** @returns {string | undefined} the folder holding initdb and pg_ctl */
export function findPostgresBin() {
  const candidates = [];
  if (process.env.STEPFLOW_PG_BIN) candidates.push(process.env.STEPFLOW_PG_BIN);
  const debian = '/usr/lib/postgresql';
  if (fs.existsSync(debian)) {
    const versions = fs
      .readdirSync(debian)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    for (const version of versions) candidates.push(path.join(debian, version, 'bin'));
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) if (dir) candidates.push(dir);
  return candidates.find(
    (dir) => fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl')),
  );
}
