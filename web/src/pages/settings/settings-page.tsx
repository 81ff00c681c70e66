import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client.js';
import { useCan } from '../../app/session.js';
import { FormField } from '../../components/form-field.js';
import { PageHeader } from '../../components/page-header.js';
import { useSaveSettings, useSettings, type SettingsChange, type SettingsJson } from './use-settings.js';
import { VariableRows, variableRow, type VariableRow } from './variable-rows.js';
import './settings.css';

/**
 * The workspace settings (docs/WORKSPACE-ENVIRONMENTS.md): the package index environment builds
 * use and the variables every run gets. Admins edit; everyone else reads. The server is the one
 * validator: its 400 shows at the field it names.
 */
export function SettingsPage() {
  const settings = useSettings();
  const canEdit = useCan('settings:admin');
  return (
    <div className="page settings">
      <PageHeader title="Settings" />
      {settings.error ? (
        <p className="error-text" role="alert">
          {settings.error.message}
        </p>
      ) : settings.data === undefined ? (
        <p className="muted">Loading…</p>
      ) : (
        // A refetch with other values (another admin saved) starts the form afresh from them.
        <SettingsForm key={JSON.stringify(settings.data)} settings={settings.data} canEdit={canEdit} />
      )}
    </div>
  );
}

const FIELDS = ['pythonIndexUrl', 'pythonExtraIndexUrls', 'pythonTrustedHosts', 'env'] as const;
type Field = (typeof FIELDS)[number];

function SettingsForm({ settings, canEdit }: { settings: SettingsJson; canEdit: boolean }) {
  const save = useSaveSettings();
  const [indexUrl, setIndexUrl] = useState(settings.pythonIndexUrl ?? '');
  const [extraUrls, setExtraUrls] = useState(settings.pythonExtraIndexUrls.join('\n'));
  const [trustedHosts, setTrustedHosts] = useState(settings.pythonTrustedHosts.join('\n'));
  const [rows, setRows] = useState<VariableRow[]>(() =>
    Object.entries(settings.env).map(([name, value]) => variableRow(name, value)),
  );
  const [saved, setSaved] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);

  const error = save.error instanceof ApiError ? save.error : null;
  const field = error?.field;
  const errorAt = (name: Field): string | undefined =>
    error !== null && field?.split('.')[0] === name ? readable(error.message) : undefined;
  const errorForVariable = (name: string): string | undefined =>
    error !== null && field === `env.${name.trim()}` ? readable(error.message) : undefined;
  const envError = errorAt('env');
  const unplaced =
    save.error !== null &&
    (error === null || !(FIELDS as readonly string[]).includes(field?.split('.')[0] ?? ''));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    setFormError(null);
    const env: Record<string, string> = {};
    for (const row of rows) {
      const name = row.name.trim();
      if (name === '' && row.value === '') continue;
      if (name in env) {
        setFormError(`Variable ${name} is there twice: keep one row.`);
        return;
      }
      env[name] = row.value;
    }
    const body: SettingsChange = {
      pythonIndexUrl: indexUrl.trim() === '' ? null : indexUrl.trim(),
      pythonExtraIndexUrls: lines(extraUrls),
      pythonTrustedHosts: lines(trustedHosts),
      env,
    };
    save.mutate(body, { onSuccess: () => setSaved(true) });
  };
  const edited = () => setSaved(false);

  return (
    <form className="settings-form card" aria-label="Settings" onSubmit={submit} noValidate>
      {!canEdit && <p className="muted">Only admins change the settings.</p>}
      <fieldset className="settings-section">
        <legend>Python package index</legend>
        <FormField
          label="Index URL"
          hint="The PyPI mirror environment builds install from. Empty: pip's default."
          error={errorAt('pythonIndexUrl')}
        >
          <input
            className="mono"
            value={indexUrl}
            readOnly={!canEdit}
            placeholder="https://mirror.internal/simple/"
            autoComplete="off"
            spellCheck={false}
            onChange={(event) => {
              edited();
              setIndexUrl(event.target.value);
            }}
          />
        </FormField>
        <FormField label="Extra index URLs" hint="One URL a line." error={errorAt('pythonExtraIndexUrls')}>
          <textarea
            className="mono"
            rows={2}
            value={extraUrls}
            readOnly={!canEdit}
            spellCheck={false}
            onChange={(event) => {
              edited();
              setExtraUrls(event.target.value);
            }}
          />
        </FormField>
        <FormField
          label="Trusted hosts"
          hint="host or host:port, one a line: hosts pip reaches over plain HTTP."
          error={errorAt('pythonTrustedHosts')}
        >
          <textarea
            className="mono"
            rows={2}
            value={trustedHosts}
            readOnly={!canEdit}
            spellCheck={false}
            onChange={(event) => {
              edited();
              setTrustedHosts(event.target.value);
            }}
          />
        </FormField>
      </fieldset>
      <fieldset className="settings-section">
        <legend>Global environment variables</legend>
        <p className="muted">
          Every run gets them (ad-hoc, job and worker runs); a run&apos;s own variables win. Everyone signed
          in can read them: do not put secrets here.
        </p>
        <VariableRows
          rows={rows}
          readOnly={!canEdit}
          errorFor={errorForVariable}
          onChange={(next) => {
            edited();
            setRows(next);
          }}
        />
        {envError !== undefined && !rows.some((row) => errorForVariable(row.name) !== undefined) && (
          <p className="form-field-error" role="alert">
            {envError}
          </p>
        )}
      </fieldset>
      {formError !== null && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
      {unplaced && save.error && (
        <p className="form-error" role="alert">
          {save.error.message}
        </p>
      )}
      {canEdit && (
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save settings'}
          </button>
          {saved && (
            <span className="settings-saved" role="status">
              Settings saved.
            </span>
          )}
        </div>
      )}
    </form>
  );
}

/** Non-empty trimmed lines (commas too, as `stepflow settings set` takes them). */
function lines(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** The server's message without the `body.` of schema errors (`body.env/X must…` reads `env/X must…`). */
function readable(message: string): string {
  return message.replace(/^body\./, '');
}
