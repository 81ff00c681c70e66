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
  // Here, not in the form: saving refetches into a new form (its key), which must still say so.
  const [saved, setSaved] = useState(false);
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
        <SettingsForm
          key={JSON.stringify(settings.data)}
          settings={settings.data}
          canEdit={canEdit}
          saved={saved}
          setSaved={setSaved}
        />
      )}
    </div>
  );
}

const FIELDS = [
  'pythonIndexUrl',
  'pythonExtraIndexUrls',
  'pythonTrustedHosts',
  'env',
  'secretEnv',
  'defaultTimeoutSeconds',
  'retention',
] as const;
type Field = (typeof FIELDS)[number];

/** The retention limits in the order the settings and docs/RETENTION.md name them, with their labels. */
const RETENTION_LIMITS = [
  ['days', 'Delete runs after (days)', 'A run, its log and artifacts go this many days after it ended.'],
  ['keepLast', 'Keep the newest (runs per job)', 'Older ended runs of each job (each name) go.'],
  ['logDays', 'Drop logs after (days)', 'The log text goes; the record and its steps stay.'],
  ['artifactDays', 'Delete artifact files after (days)', 'The files go; their rows stay, expired.'],
  ['failedDays', 'Keep failed runs at least (days)', 'A failed run is left whole at least this long.'],
] as const;
type RetentionLimit = (typeof RETENTION_LIMITS)[number][0];

function SettingsForm({
  settings,
  canEdit,
  saved,
  setSaved,
}: {
  settings: SettingsJson;
  canEdit: boolean;
  saved: boolean;
  setSaved: (saved: boolean) => void;
}) {
  const save = useSaveSettings();
  const [indexUrl, setIndexUrl] = useState(settings.pythonIndexUrl ?? '');
  const [extraUrls, setExtraUrls] = useState(settings.pythonExtraIndexUrls.join('\n'));
  const [trustedHosts, setTrustedHosts] = useState(settings.pythonTrustedHosts.join('\n'));
  const [rows, setRows] = useState<VariableRow[]>(() =>
    Object.entries(settings.env).map(([name, value]) => variableRow(name, value)),
  );
  const [timeout, setTimeoutText] = useState(settings.defaultTimeoutSeconds?.toString() ?? '');
  const [retention, setRetention] = useState<Record<RetentionLimit, string>>(() => {
    const text = {} as Record<RetentionLimit, string>;
    for (const [limit] of RETENTION_LIMITS) text[limit] = settings.retention[limit]?.toString() ?? '';
    return text;
  });
  /** Secret variables: the stored ones by name (removable), and new values typed here. */
  const [removedSecrets, setRemovedSecrets] = useState<string[]>([]);
  const [secretRows, setSecretRows] = useState<VariableRow[]>([]);
  const [formError, setFormError] = useState<string | null>(null);

  const error = save.error instanceof ApiError ? save.error : null;
  const field = error?.field;
  const errorAt = (name: Field): string | undefined =>
    error !== null && field?.split('.')[0] === name ? readable(error.message) : undefined;
  const errorForVariable = (name: string): string | undefined =>
    error !== null && field === `env.${name.trim()}` ? readable(error.message) : undefined;
  const envError = errorAt('env');
  const secretError = errorAt('secretEnv');
  const errorForSecret = (name: string): string | undefined =>
    error !== null && field === `secretEnv.${name.trim()}` ? readable(error.message) : undefined;
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
    const secretEnv: Record<string, string | null> = {};
    for (const name of removedSecrets) secretEnv[name] = null;
    for (const row of secretRows) {
      const name = row.name.trim();
      if (name === '' && row.value === '') continue;
      if (typeof secretEnv[name] === 'string') {
        setFormError(`Secret ${name} is there twice: keep one row.`);
        return;
      }
      secretEnv[name] = row.value;
    }
    const seconds = timeout.trim();
    const retentionBody: Record<string, number> = {};
    for (const [limit] of RETENTION_LIMITS) {
      const text = retention[limit].trim();
      // Not a number: sent as typed, for the server to name the limit.
      if (text !== '')
        retentionBody[limit] = /^\d+(\.\d+)?$/.test(text) ? Number(text) : (text as unknown as number);
    }
    const body: SettingsChange = {
      pythonIndexUrl: indexUrl.trim() === '' ? null : indexUrl.trim(),
      pythonExtraIndexUrls: lines(extraUrls),
      pythonTrustedHosts: lines(trustedHosts),
      env,
      ...(Object.keys(secretEnv).length > 0 ? { secretEnv } : {}),
      // Not a number: sent as typed, for the server to name the field.
      defaultTimeoutSeconds:
        seconds === '' ? null : /^\d+$/.test(seconds) ? Number(seconds) : (seconds as unknown as number),
      retention: retentionBody,
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
          hint="The PyPI mirror environment builds install from. Empty: pip's default. A password in it shows as ***: leave it so to keep it."
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
          in can read them: put secrets under Secret variables below.
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
      <fieldset className="settings-section">
        <legend>Secret variables</legend>
        <p className="muted">
          Every run gets them too, masked in its log; they are stored encrypted and never shown again, not
          even here. A new value under a name that is set replaces it.
        </p>
        <ul className="secret-names" aria-label="Secret variables set">
          {settings.secretEnvNames.length === 0 && <li className="muted">No secret variables.</li>}
          {settings.secretEnvNames.map((name) => {
            const removed = removedSecrets.includes(name);
            return (
              <li key={name} data-removed={removed ? 'true' : undefined}>
                <code>{name}</code> <span className="muted">{removed ? 'removed when saved' : '••••••'}</span>
                {canEdit && (
                  <button
                    type="button"
                    className="button ghost"
                    aria-label={removed ? `Keep secret ${name}` : `Remove secret ${name}`}
                    onClick={() => {
                      edited();
                      setRemovedSecrets((names) =>
                        removed ? names.filter((other) => other !== name) : [...names, name],
                      );
                    }}
                  >
                    {removed ? 'Keep' : 'Remove'}
                  </button>
                )}
                {errorForSecret(name) !== undefined && (
                  <p className="form-field-error" role="alert">
                    {errorForSecret(name)}
                  </p>
                )}
              </li>
            );
          })}
        </ul>
        {canEdit && (
          <VariableRows
            rows={secretRows}
            readOnly={false}
            noun="secret"
            empty={null}
            secret
            errorFor={errorForSecret}
            onChange={(next) => {
              edited();
              setSecretRows(next);
            }}
          />
        )}
        {secretError !== undefined &&
          !secretRows.some((row) => errorForSecret(row.name) !== undefined) &&
          !settings.secretEnvNames.some((name) => errorForSecret(name) !== undefined) && (
            <p className="form-field-error" role="alert">
              {secretError}
            </p>
          )}
      </fieldset>
      <fieldset className="settings-section">
        <legend>Runs</legend>
        <FormField
          label="Default timeout (seconds)"
          hint="What a run or job without a timeout of its own gets when it starts. Empty: none."
          error={errorAt('defaultTimeoutSeconds')}
        >
          <input
            value={timeout}
            readOnly={!canEdit}
            inputMode="numeric"
            autoComplete="off"
            onChange={(event) => {
              edited();
              setTimeoutText(event.target.value);
            }}
          />
        </FormField>
      </fieldset>
      <fieldset className="settings-section">
        <legend>Retention defaults</legend>
        <p className="muted">
          What the background sweep removes (docs/RETENTION.md). Empty: no limit. A job with a policy of its
          own keeps it; a limit the server's environment sets (STEPFLOW_RETENTION_*) wins over the one here.
        </p>
        {RETENTION_LIMITS.map(([limit, label, hint]) => {
          const fromEnvironment = settings.retentionFromEnvironment[limit];
          return (
            <FormField
              key={limit}
              label={label}
              hint={
                fromEnvironment === undefined
                  ? hint
                  : `${hint} The server's environment sets ${fromEnvironment}, which wins.`
              }
              error={error !== null && field === `retention.${limit}` ? readable(error.message) : undefined}
            >
              <input
                name={`retention.${limit}`}
                value={retention[limit]}
                readOnly={!canEdit}
                inputMode="decimal"
                autoComplete="off"
                onChange={(event) => {
                  edited();
                  setRetention({ ...retention, [limit]: event.target.value });
                }}
              />
            </FormField>
          );
        })}
        {errorAt('retention') !== undefined &&
          !RETENTION_LIMITS.some(([limit]) => field === `retention.${limit}`) && (
            <p className="form-field-error" role="alert">
              {errorAt('retention')}
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
