import { FormField } from '../../components/form-field.js';
import { newWebhook, type WebhookValues } from '../../features/jobs/job-form-values.js';
import { WEBHOOK_EVENT_TEXT, keysOf } from '../../features/jobs/job-policies.js';

/** The notifications part of the job form: webhooks with their events and optional secret. */
export function WebhookFields({
  webhooks,
  onChange,
  errorFor,
  editing,
}: {
  webhooks: WebhookValues[];
  onChange: (webhooks: WebhookValues[]) => void;
  errorFor: (path: string) => string | undefined;
  /** Editing a saved job: its secrets are never sent back, so say what saving changes does. */
  editing: boolean;
}) {
  const update = (index: number, next: WebhookValues) =>
    onChange(webhooks.map((hook, i) => (i === index ? next : hook)));
  return (
    <div className="webhook-fields">
      {errorFor('webhooks') ? <p className="form-field-error">{errorFor('webhooks')}</p> : null}
      {webhooks.length === 0 ? <p className="muted">No webhooks.</p> : null}
      {webhooks.map((hook, index) => {
        const legend = `Webhook ${index + 1}`;
        const path = `webhooks.${index}`;
        return (
          <fieldset key={hook.key} className="webhook-row" aria-label={legend}>
            <legend>{legend}</legend>
            {errorFor(path) ? <p className="form-field-error">{errorFor(path)}</p> : null}
            <div className="webhook-inputs">
              <FormField label="URL" hint="Receives a JSON POST." error={errorFor(`${path}.url`)}>
                <input
                  type="url"
                  className="mono"
                  value={hook.url}
                  onChange={(e) => update(index, { ...hook, url: e.target.value })}
                  autoComplete="off"
                  spellCheck={false}
                />
              </FormField>
              <FormField
                label="Secret"
                hint={
                  editing
                    ? 'Signs with HMAC-SHA256. Saved secrets are not shown: changing webhooks replaces them all.'
                    : 'Optional: signs the body (X-StepFlow-Signature, HMAC-SHA256).'
                }
                error={errorFor(`${path}.secret`)}
              >
                <input
                  type="password"
                  value={hook.secret}
                  onChange={(e) => update(index, { ...hook, secret: e.target.value })}
                  autoComplete="new-password"
                />
              </FormField>
              <button
                type="button"
                className="button ghost"
                onClick={() => onChange(webhooks.filter((_, i) => i !== index))}
              >
                Remove <span className="visually-hidden">{legend}</span>
              </button>
            </div>
            <fieldset className="webhook-events">
              <legend>Events</legend>
              {keysOf(WEBHOOK_EVENT_TEXT).map((event) => (
                <label key={event} className="checkbox">
                  <input
                    type="checkbox"
                    checked={hook.events.includes(event)}
                    onChange={(e) =>
                      update(index, {
                        ...hook,
                        events: e.target.checked
                          ? keysOf(WEBHOOK_EVENT_TEXT).filter((k) => k === event || hook.events.includes(k))
                          : hook.events.filter((k) => k !== event),
                      })
                    }
                  />
                  {WEBHOOK_EVENT_TEXT[event]}
                </label>
              ))}
              {errorFor(`${path}.events`) ? (
                <p className="form-field-error">{errorFor(`${path}.events`)}</p>
              ) : null}
            </fieldset>
          </fieldset>
        );
      })}
      <div>
        <button type="button" className="button" onClick={() => onChange([...webhooks, newWebhook()])}>
          Add webhook
        </button>
      </div>
    </div>
  );
}
