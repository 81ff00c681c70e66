/** One global variable as the form edits it; `key` keeps React's rows apart while names change. */
export interface VariableRow {
  key: number;
  name: string;
  value: string;
}

let nextKey = 0;
export function variableRow(name = '', value = ''): VariableRow {
  nextKey += 1;
  return { key: nextKey, name, value };
}

/**
 * The global variables as rows of name and value, each removable, and a button to add one. The
 * error of the server that names a variable (`env.NAME: …`) shows under that row.
 */
export function VariableRows({
  rows,
  onChange,
  readOnly,
  errorFor,
  noun = 'variable',
  empty = 'No global variables.',
  secret = false,
}: {
  rows: VariableRow[];
  onChange: (rows: VariableRow[]) => void;
  readOnly: boolean;
  errorFor: (name: string) => string | undefined;
  /** What a row is called in labels and buttons (`Variable 1 name`, `Add variable`). */
  noun?: string;
  empty?: string | null;
  /** Values typed as passwords: not shown on screen, not kept by the browser's autofill. */
  secret?: boolean;
}) {
  const Noun = noun.charAt(0).toUpperCase() + noun.slice(1);
  const set = (key: number, change: Partial<VariableRow>) =>
    onChange(rows.map((row) => (row.key === key ? { ...row, ...change } : row)));
  return (
    <div className="variable-rows">
      {rows.length === 0 && empty !== null && <p className="muted">{empty}</p>}
      {rows.map((row, i) => {
        const error = errorFor(row.name);
        return (
          <div className="variable-row" key={row.key} data-invalid={error ? 'true' : undefined}>
            <input
              aria-label={`${Noun} ${i + 1} name`}
              className="mono"
              value={row.name}
              placeholder="NAME"
              readOnly={readOnly}
              autoComplete="off"
              spellCheck={false}
              aria-invalid={error ? true : undefined}
              onChange={(event) => set(row.key, { name: event.target.value })}
            />
            <input
              aria-label={`${Noun} ${i + 1} value`}
              className="mono"
              type={secret ? 'password' : 'text'}
              value={row.value}
              placeholder="value"
              readOnly={readOnly}
              autoComplete={secret ? 'new-password' : 'off'}
              spellCheck={false}
              onChange={(event) => set(row.key, { value: event.target.value })}
            />
            {!readOnly && (
              <button
                type="button"
                className="button ghost"
                aria-label={`Remove ${noun} ${i + 1}`}
                onClick={() => onChange(rows.filter((other) => other.key !== row.key))}
              >
                Remove
              </button>
            )}
            {error && (
              <p className="form-field-error" role="alert">
                {error}
              </p>
            )}
          </div>
        );
      })}
      {!readOnly && (
        <button type="button" className="button" onClick={() => onChange([...rows, variableRow()])}>
          Add {noun}
        </button>
      )}
    </div>
  );
}
