import { useId, useMemo } from 'react';
import { FormField } from '../../components/form-field.js';
import { useNow } from '../../components/use-now.js';
import { FireTimes } from '../../features/jobs/fire-times.js';
import { messageWithoutField } from '../../features/jobs/job-error-field.js';
import {
  newTrigger,
  triggerBody,
  type TriggerKind,
  type TriggerValues,
} from '../../features/jobs/job-form-values.js';
import { TRIGGER_KIND_TEXT, keysOf } from '../../features/jobs/job-policies.js';
import { browserTimeZone } from '../../features/jobs/relative-time.js';
import { useSchedulePreview } from '../../features/jobs/use-schedule-preview.js';

/** A field of trigger row `index` as the API names it (`triggers.0.cron`). */
type FieldError = (path: string) => string | undefined;

/** The triggers part of the job form: one row per trigger, each checked live against the server. */
export function TriggerFields({
  triggers,
  onChange,
  errorFor,
}: {
  triggers: TriggerValues[];
  onChange: (triggers: TriggerValues[]) => void;
  errorFor: FieldError;
}) {
  const zonesId = useId();
  const zones = useMemo(() => ['UTC', ...Intl.supportedValuesOf('timeZone').filter((z) => z !== 'UTC')], []);
  const update = (index: number, next: TriggerValues) =>
    onChange(triggers.map((t, i) => (i === index ? next : t)));
  const listError = errorFor('triggers');
  return (
    <div className="trigger-fields">
      {listError ? <p className="form-field-error">{listError}</p> : null}
      {triggers.length === 0 ? (
        <p className="muted">No triggers: the job runs only when asked (Run now).</p>
      ) : null}
      {triggers.map((trigger, index) => (
        <TriggerRow
          key={trigger.key}
          index={index}
          trigger={trigger}
          zonesId={zonesId}
          errorFor={errorFor}
          onChange={(next) => update(index, next)}
          onRemove={() => onChange(triggers.filter((_, i) => i !== index))}
        />
      ))}
      <datalist id={zonesId}>
        {zones.map((zone) => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
      <div>
        <button type="button" className="button" onClick={() => onChange([...triggers, newTrigger()])}>
          Add trigger
        </button>
      </div>
    </div>
  );
}

/** The field of a row that a preview error without a field is about (a 400 on the query). */
const MAIN_FIELD: Record<TriggerKind, keyof TriggerValues> = {
  cron: 'cron',
  interval: 'intervalSeconds',
  once: 'at',
};

function TriggerRow({
  index,
  trigger,
  zonesId,
  errorFor,
  onChange,
  onRemove,
}: {
  index: number;
  trigger: TriggerValues;
  zonesId: string;
  errorFor: FieldError;
  onChange: (next: TriggerValues) => void;
  onRemove: () => void;
}) {
  const filled = trigger[MAIN_FIELD[trigger.kind]] !== '';
  const { preview, error: previewError, pending } = useSchedulePreview(filled ? triggerBody(trigger) : null);
  const now = useNow(preview?.valid === true);
  const previewField = preview?.error?.field?.replace(/^query\./, '') ?? MAIN_FIELD[trigger.kind];
  // What the server said on submit wins; otherwise the live check speaks for its field.
  const fieldError = (field: keyof TriggerValues) =>
    errorFor(`triggers.${index}.${field}`) ??
    (previewError !== undefined && previewField === field ? messageWithoutField(previewError) : undefined);
  const set = (field: keyof TriggerValues) => (event: { target: { value: string } }) =>
    onChange({ ...trigger, [field]: event.target.value });
  const rowError = errorFor(`triggers.${index}`);
  const legend = `Trigger ${index + 1}`;

  return (
    <fieldset className="trigger-row" aria-label={legend}>
      <legend>{legend}</legend>
      {rowError ? <p className="form-field-error">{rowError}</p> : null}
      <div className="trigger-inputs">
        <FormField label="Kind">
          <select value={trigger.kind} onChange={set('kind')}>
            {keysOf(TRIGGER_KIND_TEXT).map((kind) => (
              <option key={kind} value={kind}>
                {TRIGGER_KIND_TEXT[kind]}
              </option>
            ))}
          </select>
        </FormField>
        {trigger.kind === 'cron' ? (
          <>
            <FormField
              label="Cron expression"
              hint="5 fields (minute first) or 6 (second first): 0 3 * * *, */10 * * * * *"
              error={fieldError('cron')}
            >
              <input
                type="text"
                className="mono"
                value={trigger.cron}
                onChange={set('cron')}
                autoComplete="off"
                spellCheck={false}
              />
            </FormField>
            <FormField label="Time zone" hint="IANA name, e.g. Europe/Berlin" error={fieldError('timezone')}>
              <input
                type="text"
                list={zonesId}
                value={trigger.timezone}
                onChange={set('timezone')}
                autoComplete="off"
                spellCheck={false}
              />
            </FormField>
          </>
        ) : null}
        {trigger.kind === 'interval' ? (
          <FormField
            label="Every (seconds)"
            hint="At least 1; counted from when the trigger is saved."
            error={fieldError('intervalSeconds')}
          >
            <input
              type="text"
              inputMode="decimal"
              value={trigger.intervalSeconds}
              onChange={set('intervalSeconds')}
              autoComplete="off"
            />
          </FormField>
        ) : null}
        {trigger.kind === 'once' ? (
          <FormField
            label="At"
            hint={`Your time (${browserTimeZone()}); must be in the future.`}
            error={fieldError('at')}
          >
            <input type="datetime-local" step={1} value={trigger.at} onChange={set('at')} />
          </FormField>
        ) : null}
        <button type="button" className="button ghost trigger-remove" onClick={onRemove}>
          Remove <span className="visually-hidden">{legend}</span>
        </button>
      </div>
      <div className="trigger-preview" aria-live="polite" data-pending={pending || undefined}>
        {preview?.valid && filled ? (
          <>
            <p className="trigger-preview-title">Next fire times</p>
            <FireTimes
              times={preview.nextRuns}
              timeZone={trigger.kind === 'cron' ? trigger.timezone.trim() || 'UTC' : undefined}
              now={now}
              label={`Next fire times of trigger ${index + 1}`}
            />
          </>
        ) : !filled ? (
          <p className="muted">The next fire times show here as you type.</p>
        ) : pending && previewError === undefined ? (
          <p className="muted">Checking…</p>
        ) : null}
      </div>
    </fieldset>
  );
}
