/**
 * Case-insensitive "contains" beyond ASCII, as the SQLite store's `stepflow_icontains` (JavaScript's
 * toLowerCase): the column is lowered under ICU's root collation (the columns themselves sort by
 * bytes, under which lower() folds ASCII only) and the needle is lowered by the caller.
 */
export function icontainsSql(column: string, param: string): string {
  return `strpos(lower(${column} COLLATE "und-x-icu"), ${param}) > 0`;
}
