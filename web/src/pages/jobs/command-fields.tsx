import { FormField } from '../../components/form-field.js';
import type { JobFormValues } from '../../features/jobs/job-form-values.js';

/** The job form's plain text inputs. */
export type TextField = {
  [K in keyof JobFormValues]: JobFormValues[K] extends string ? K : never;
}[keyof JobFormValues];

/** What a part of the job form gets from it: the values, input bindings and errors. */
export interface FormBind {
  values: JobFormValues;
  text: (field: TextField) => { value: string; onChange: (event: { target: { value: string } }) => void };
  err: (field: TextField) => string | undefined;
  change: (next: Partial<JobFormValues>) => void;
}

/** A command job's command, or the folder of a backup job. */
export function CommandFields({ values, text, err }: FormBind) {
  return (
    <>
      <FormField
        label="Command"
        hint="Run with /bin/sh -c. Print STEP_START:name and STEP_COMPLETE:name to show steps."
        error={err('command')}
      >
        <textarea
          {...text('command')}
          rows={3}
          className="mono"
          spellCheck={false}
          disabled={values.backupDir.trim() !== ''}
        />
      </FormField>
      <div className="form-row">
        <FormField
          label="Or back up StepFlow into (folder)"
          hint="A backup job: each run backs up this server's data dir into this absolute folder, checked (SQLite only). Leave empty for a command."
          error={err('backupDir')}
        >
          <input {...text('backupDir')} type="text" className="mono" autoComplete="off" spellCheck={false} />
        </FormField>
        <FormField
          label="Backups kept"
          hint="The newest this many it made stay; nothing else in the folder is touched."
          error={err('backupKeep')}
        >
          <input {...text('backupKeep')} type="text" inputMode="numeric" autoComplete="off" />
        </FormField>
      </div>
    </>
  );
}

/** Limits and worker labels: they shape one process, so a pipeline job has none. */
export function LimitFields({ values, text, err, change }: FormBind) {
  return (
    <>
      <div className="form-row">
        <FormField
          label="Memory limit (MB)"
          hint="Empty: none. Past it the process tree is stopped (sampled every second)."
          error={err('memoryLimitMb')}
        >
          <input {...text('memoryLimitMb')} type="text" inputMode="numeric" autoComplete="off" />
        </FormField>
        <FormField label="Max log lines" hint="Empty: none." error={err('maxLines')}>
          <input {...text('maxLines')} type="text" inputMode="numeric" autoComplete="off" />
        </FormField>
        <FormField label="Max log size (MB)" hint="Empty: none." error={err('maxLogMb')}>
          <input {...text('maxLogMb')} type="text" inputMode="decimal" autoComplete="off" />
        </FormField>
        <FormField label="Past a log limit" hint="Keep the first and last lines, or stop the run.">
          <select
            value={values.logLimitPolicy}
            onChange={(e) => change({ logLimitPolicy: e.target.value as JobFormValues['logLimitPolicy'] })}
          >
            <option value="truncate">truncate</option>
            <option value="fail">fail</option>
          </select>
        </FormField>
      </div>
      <FormField
        label="Runs on (labels)"
        hint="Comma-separated: only a stepflow worker with all of them runs it. Empty: the server runs it."
        error={err('runsOn')}
      >
        <input {...text('runsOn')} type="text" className="mono" autoComplete="off" spellCheck={false} />
      </FormField>
    </>
  );
}
