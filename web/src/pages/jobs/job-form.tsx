import { useState, type FormEvent, type ReactNode } from 'react';
import { Link } from 'react-router';
import { CommandFields, LimitFields, type FormBind, type TextField } from './command-fields.js';
import { SavedPipelineField } from './saved-pipeline-field.js';
import { FormField } from '../../components/form-field.js';
import { EnvTextarea } from '../../features/executions-list/env-textarea.js';
import { ENV_FORMAT_HINT } from '../../features/executions-list/parse-env.js';
import { errorPath, fieldForPath, messageWithoutField } from '../../features/jobs/job-error-field.js';
import type { JobFormValues } from '../../features/jobs/job-form-values.js';
import { MISSED_FIRE_TEXT, OVERLAP_TEXT, keysOf } from '../../features/jobs/job-policies.js';
import { TriggerFields } from './trigger-fields.js';
import { WebhookFields } from './webhook-fields.js';
import './job-form.css';

/** API field paths (`retry.maxAttempts`) of the form's plain inputs. */
const PATHS: Partial<Record<TextField, string>> = {
  name: 'name',
  pipeline: 'pipeline',
  command: 'command',
  cwd: 'cwd',
  timeout: 'timeout',
  memoryLimitMb: 'limits.memoryLimitMb',
  maxLines: 'limits.maxLines',
  maxLogMb: 'limits.maxLogBytes',
  tags: 'tags',
  env: 'env',
  retryMaxAttempts: 'retry.maxAttempts',
  retryDelaySeconds: 'retry.delaySeconds',
  retryBackoffFactor: 'retry.backoffFactor',
  retryMaxDelaySeconds: 'retry.maxDelaySeconds',
  retryOnExitCodes: 'retry.onExitCodes',
  maxConcurrentRuns: 'maxConcurrentRuns',
  lateAfterSeconds: 'lateAfterSeconds',
  runsOn: 'runsOn',
  retentionDays: 'retention.days',
  retentionKeepLast: 'retention.keepLast',
  retentionLogDays: 'retention.logDays',
  retentionArtifactDays: 'retention.artifactDays',
  retentionFailedDays: 'retention.failedDays',
  backupDir: 'backup.dir',
  backupKeep: 'backup.keep',
};

/**
 * The job form, for a new job and for editing one. The server is the one validator: a rejected
 * save shows its message next to the field it names (`body.triggers.0.cron` → the first trigger's
 * cron), or above the form when the field is not on it; triggers are also checked as they are typed.
 */
export function JobForm({
  initial,
  label,
  submitLabel,
  pendingLabel,
  pending,
  error,
  editing = false,
  envNames = [],
  cancelTo,
  onSubmit,
  onEdit,
}: {
  initial: JobFormValues;
  /** Accessible name of the form. */
  label: string;
  submitLabel: string;
  pendingLabel: string;
  pending: boolean;
  error: Error | null;
  editing?: boolean;
  /** Editing: the names of the saved variables (their values never leave the server). */
  envNames?: readonly string[];
  cancelTo: string;
  onSubmit: (values: JobFormValues) => void;
  /** Any change: the last save's error is about what was sent, not what is typed now. */
  onEdit: () => void;
}) {
  const [values, setValues] = useState(initial);
  const pipelineJob = values.runs === 'pipeline';
  const change = (next: Partial<JobFormValues>) => {
    setValues((v) => ({ ...v, ...next }));
    if (error) onEdit();
  };

  const fields = [
    ...Object.values(PATHS),
    'overlap',
    'missedFire',
    'retention',
    'triggers',
    'webhooks',
    ...values.triggers.flatMap((_, i) =>
      ['', '.cron', '.timezone', '.intervalSeconds', '.at'].map((f) => `triggers.${i}${f}`),
    ),
    ...values.webhooks.flatMap((_, i) => ['', '.url', '.events', '.secret'].map((f) => `webhooks.${i}${f}`)),
  ];
  const errorField = fieldForPath(errorPath(error), fields);
  const errorFor = (path: string) =>
    error && errorField === path ? messageWithoutField(error.message) : undefined;

  const text = (field: TextField) => ({
    value: values[field],
    onChange: (event: { target: { value: string } }) => change({ [field]: event.target.value }),
  });
  const err = (field: TextField) => errorFor(PATHS[field] ?? field);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(values);
  };

  return (
    <form className="job-form" onSubmit={submit} noValidate aria-label={label}>
      {error && errorField === undefined ? (
        <p className="form-error" role="alert">
          {error.message}
        </p>
      ) : null}

      <Section title="What to run">
        <div className="form-row">
          <FormField label="Name" hint="Unique: letters, digits, spaces, ._:@/-" error={err('name')}>
            <input {...text('name')} type="text" autoComplete="off" autoFocus={!editing} />
          </FormField>
          <FormField
            label="Runs"
            hint={editing ? 'A job keeps what it runs: make another job to change it.' : undefined}
          >
            <select
              value={values.runs}
              disabled={editing}
              onChange={(e) => change({ runs: e.target.value as JobFormValues['runs'] })}
            >
              <option value="command">a command</option>
              <option value="pipeline">a saved pipeline</option>
            </select>
          </FormField>
          {pipelineJob ? null : (
            <FormField
              label="Tags"
              hint="Comma-separated key=value or key; on every run."
              error={err('tags')}
            >
              <input {...text('tags')} type="text" autoComplete="off" />
            </FormField>
          )}
        </div>
        {pipelineJob ? (
          <SavedPipelineField
            value={values.pipeline}
            onChange={(pipeline) => change({ pipeline })}
            error={err('pipeline')}
          />
        ) : (
          <CommandFields values={values} text={text} err={err} change={change} />
        )}
        <div className="form-row">
          <FormField
            label="Working directory"
            hint={
              pipelineJob
                ? "Where the pipeline's relative directories resolve. Must exist. Default: the server's."
                : values.runsOn.trim() === ''
                  ? "Must exist. Default: the server's working directory."
                  : "An absolute path on the worker's host."
            }
            error={err('cwd')}
          >
            <input {...text('cwd')} type="text" className="mono" autoComplete="off" spellCheck={false} />
          </FormField>
          <FormField
            label="Timeout (seconds)"
            hint={
              pipelineJob
                ? 'Empty: none. Cancels the whole pipeline run (counted as timed out).'
                : 'Empty: none. Stops the whole process tree.'
            }
            error={err('timeout')}
          >
            <input {...text('timeout')} type="text" inputMode="decimal" autoComplete="off" />
          </FormField>
        </div>
        {pipelineJob ? null : <LimitFields values={values} text={text} err={err} change={change} />}
        <FormField
          label="Environment"
          hint={
            pipelineJob
              ? `Added to the pipeline's env (a node's own wins). ${envHint(envNames)}`
              : envHint(envNames)
          }
          error={err('env')}
        >
          <EnvTextarea {...text('env')} placeholder={'REGION=eu-west-1\nBACKUP_DIR=/srv/backups'} />
        </FormField>
        {envNames.length > 0 ? (
          <label className="job-form-check">
            <input
              type="checkbox"
              checked={values.clearEnv}
              onChange={(event) => change({ clearEnv: event.target.checked })}
            />{' '}
            Remove the saved variables ({envNames.join(', ')})
          </label>
        ) : null}
      </Section>
      <FormRest
        values={values}
        text={text}
        err={err}
        errorFor={errorFor}
        change={change}
        editing={editing}
        pipelineJob={pipelineJob}
      />

      <div className="form-actions">
        <button type="submit" className="button primary" disabled={pending}>
          {pending ? pendingLabel : submitLabel}
        </button>
        <Link to={cancelTo} className="button">
          Cancel
        </Link>
      </div>
    </form>
  );
}

/** Triggers, retries, overlap, retention and notifications (the last two sections of the form). */
function FormRest({
  values,
  text,
  err,
  errorFor,
  change,
  editing,
  pipelineJob,
}: FormBind & { errorFor: (path: string) => string | undefined; editing: boolean; pipelineJob: boolean }) {
  return (
    <>
      <Section title="When">
        <TriggerFields
          triggers={values.triggers}
          onChange={(triggers) => change({ triggers })}
          errorFor={errorFor}
        />
      </Section>

      <Section title="Retries">
        <div className="form-row four">
          <FormField label="Max attempts" hint="1: no retry." error={err('retryMaxAttempts')}>
            <input {...text('retryMaxAttempts')} type="text" inputMode="numeric" autoComplete="off" />
          </FormField>
          <FormField label="Delay (seconds)" hint="Before the first retry." error={err('retryDelaySeconds')}>
            <input {...text('retryDelaySeconds')} type="text" inputMode="decimal" autoComplete="off" />
          </FormField>
          <FormField
            label="Backoff factor"
            hint="Each retry waits this × longer."
            error={err('retryBackoffFactor')}
          >
            <input {...text('retryBackoffFactor')} type="text" inputMode="decimal" autoComplete="off" />
          </FormField>
          <FormField label="Max delay (seconds)" hint="Cap of the delay." error={err('retryMaxDelaySeconds')}>
            <input {...text('retryMaxDelaySeconds')} type="text" inputMode="decimal" autoComplete="off" />
          </FormField>
        </div>
        {pipelineJob ? (
          <p className="muted">
            A retry re-runs the failed pipeline run&apos;s failed nodes; the ones that succeeded keep their
            outputs.
          </p>
        ) : null}
        {pipelineJob ? null : (
          <>
            <FormField
              label="Only for exit codes"
              hint="Comma-separated; empty: any failure or timeout is retried."
              error={err('retryOnExitCodes')}
            >
              <input {...text('retryOnExitCodes')} type="text" autoComplete="off" />
            </FormField>
            <label className="job-form-check">
              <input
                type="checkbox"
                checked={values.retryOnLost}
                onChange={(event) => change({ retryOnLost: event.target.checked })}
              />{' '}
              Start a run lost with its worker again, once, at once (not counted in the attempts)
            </label>
          </>
        )}
      </Section>

      <Section title="Overlap and timing">
        <div className="form-row four">
          <FormField
            label="When a run is still going"
            hint={OVERLAP_TEXT[values.overlap].hint}
            error={errorFor('overlap')}
          >
            <select
              value={values.overlap}
              onChange={(e) => change({ overlap: e.target.value as JobFormValues['overlap'] })}
            >
              {keysOf(OVERLAP_TEXT).map((policy) => (
                <option key={policy} value={policy}>
                  {OVERLAP_TEXT[policy].label}
                </option>
              ))}
            </select>
          </FormField>
          <FormField
            label="Max concurrent runs"
            hint="Empty: 1 (parallel: no limit)."
            error={err('maxConcurrentRuns')}
          >
            <input {...text('maxConcurrentRuns')} type="text" inputMode="numeric" autoComplete="off" />
          </FormField>
          <FormField
            label="Missed fire times"
            hint={MISSED_FIRE_TEXT[values.missedFire].hint}
            error={errorFor('missedFire')}
          >
            <select
              value={values.missedFire}
              onChange={(e) => change({ missedFire: e.target.value as JobFormValues['missedFire'] })}
            >
              {keysOf(MISSED_FIRE_TEXT).map((policy) => (
                <option key={policy} value={policy}>
                  {MISSED_FIRE_TEXT[policy].label}
                </option>
              ))}
            </select>
          </FormField>
          {pipelineJob ? null : (
            <>
              <FormField
                label="Late after (seconds)"
                hint="Warn (never kill) when a run takes longer."
                error={err('lateAfterSeconds')}
              >
                <input {...text('lateAfterSeconds')} type="text" inputMode="decimal" autoComplete="off" />
              </FormField>
              <label className="job-form-check">
                <input
                  type="checkbox"
                  checked={values.lateByP95}
                  onChange={(event) => change({ lateByP95: event.target.checked })}
                />{' '}
                Also warn when a step runs past its 95th percentile of recent successful runs
              </label>
            </>
          )}
        </div>
      </Section>

      {pipelineJob ? null : (
        <Section title="Retention">
          <FormField label="Old runs" hint={retentionHint(values)} error={errorFor('retention')}>
            <select
              value={values.retentionMode}
              onChange={(e) => change({ retentionMode: e.target.value as JobFormValues['retentionMode'] })}
            >
              <option value="global">the server's policy</option>
              <option value="own">this job's own policy</option>
            </select>
          </FormField>
          {values.retentionMode === 'own' ? (
            <div className="form-row four">
              <FormField
                label="Delete runs after (days)"
                hint="Empty: no age limit."
                error={err('retentionDays')}
              >
                <input {...text('retentionDays')} type="text" inputMode="decimal" autoComplete="off" />
              </FormField>
              <FormField
                label="Keep last (runs)"
                hint="Empty: no count limit."
                error={err('retentionKeepLast')}
              >
                <input {...text('retentionKeepLast')} type="text" inputMode="numeric" autoComplete="off" />
              </FormField>
              <FormField label="Drop logs after (days)" hint="The run stays." error={err('retentionLogDays')}>
                <input {...text('retentionLogDays')} type="text" inputMode="decimal" autoComplete="off" />
              </FormField>
              <FormField
                label="Drop artifacts after (days)"
                hint="Their records stay."
                error={err('retentionArtifactDays')}
              >
                <input
                  {...text('retentionArtifactDays')}
                  type="text"
                  inputMode="decimal"
                  autoComplete="off"
                />
              </FormField>
              <FormField
                label="Keep failed runs at least (days)"
                hint="Whatever the limits say."
                error={err('retentionFailedDays')}
              >
                <input {...text('retentionFailedDays')} type="text" inputMode="decimal" autoComplete="off" />
              </FormField>
            </div>
          ) : null}
        </Section>
      )}

      <Section title="Notifications">
        <WebhookFields
          webhooks={values.webhooks}
          onChange={(webhooks) => change({ webhooks })}
          errorFor={errorFor}
          editing={editing}
        />
      </Section>
    </>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="card job-form-section" aria-label={title}>
      <h2 className="card-header">{title}</h2>
      <div className="job-form-body">{children}</div>
    </section>
  );
}

/** What the Environment field does: for a saved job, that the values are kept unless replaced. */
function envHint(saved: readonly string[]): string {
  if (saved.length === 0) return `${ENV_FORMAT_HINT} Values are not shown again.`;
  return `Set now: ${saved.join(', ')} (values are not shown). Leave empty to keep them; lines entered replace them all. ${ENV_FORMAT_HINT}`;
}

function retentionHint(values: JobFormValues): string {
  const limits = [
    values.retentionDays,
    values.retentionKeepLast,
    values.retentionLogDays,
    values.retentionArtifactDays,
  ];
  if (values.retentionMode === 'own' && limits.every((limit) => limit.trim() === '')) {
    return "No limit set: every run of this job is kept, whatever the server's policy.";
  }
  return "The server's policy (STEPFLOW_RETENTION_*), or this job's own, which replaces it for its runs. Pinned runs never expire.";
}
