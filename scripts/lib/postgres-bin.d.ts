/** The folder holding PostgreSQL's initdb and pg_ctl, or undefined when none is installed. */
export function findPostgresBin(): string | undefined;
