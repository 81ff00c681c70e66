import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiError, apiFetch } from '../../api/client.js';
import type { Execution } from '../../api/types.js';
import { FormField } from '../../components/form-field.js';
import { PageHeader } from '../../components/page-header.js';
import { LIST_QUERY_ROOTS } from '../../features/executions-list/use-executions-feed.js';
import { EnvTextarea } from '../../features/executions-list/env-textarea.js';
import { ENV_FORMAT_HINT, parseEnv } from '../../features/executions-list/parse-env.js';
import { parseTags } from '../../features/executions-list/parse-tags.js';
import './new-execution.css';

const FIELDS = ['command', 'name', 'tags', 'cwd', 'timeout', 'env'] as const;
type Field = (typeof FIELDS)[number];
type Values = Record<Field, string>;

const EMPTY: Values = { command: '', name: '', tags: '', cwd: '', timeout: '', env: '' };

/**
 * Starts an execution. The server is the one validator (no browser-side rules to drift from it):
 * its error lands next to the field it names, or above the form when it names none.
 */
export function NewExecutionPage() {
  const [values, setValues] = useState<Values>(EMPTY);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const start = useMutation({
    mutationFn: (body: object) => apiFetch<Execution>('/api/executions', { method: 'POST', body }),
    onSuccess: async (execution) => {
      for (const root of LIST_QUERY_ROOTS) void queryClient.invalidateQueries({ queryKey: [root] });
      await navigate(`/executions/${execution.id}`);
    },
  });

  const error = start.error;
  const field = error instanceof ApiError ? fieldOf(error) : undefined;
  const fieldError = (name: Field) =>
    field === name && error ? withoutFieldPrefix(error.message, name) : undefined;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    start.mutate(requestBody(values));
  };
  const bind = (name: Field) => ({
    name,
    value: values[name],
    onChange: (event: { target: { value: string } }) =>
      setValues((v) => ({ ...v, [name]: event.target.value })),
  });

  return (
    <div className="page new-execution">
      <PageHeader title="New execution" />
      <form className="new-execution-form card" onSubmit={onSubmit} noValidate aria-label="New execution">
        {error && field === undefined ? (
          <p className="form-error" role="alert">
            {error.message}
          </p>
        ) : null}
        <FormField
          label="Command"
          hint="Run with /bin/sh -c. Print STEP_START:name, STEP_COMPLETE:name or ARTIFACT:path to show steps and artifacts."
          error={fieldError('command')}
        >
          <textarea {...bind('command')} rows={4} className="mono" spellCheck={false} autoFocus />
        </FormField>
        <div className="form-row">
          <FormField label="Name" hint="Defaults to the command." error={fieldError('name')}>
            <input {...bind('name')} type="text" autoComplete="off" />
          </FormField>
          <FormField
            label="Tags"
            hint="Comma-separated key=value or key, e.g. env=prod, nightly"
            error={fieldError('tags')}
          >
            <input {...bind('tags')} type="text" autoComplete="off" />
          </FormField>
        </div>
        <div className="form-row">
          <FormField
            label="Working directory"
            hint="Default: the server's working directory."
            error={fieldError('cwd')}
          >
            <input {...bind('cwd')} type="text" className="mono" autoComplete="off" spellCheck={false} />
          </FormField>
          <FormField label="Timeout (seconds)" hint="Empty: no timeout." error={fieldError('timeout')}>
            <input {...bind('timeout')} type="text" inputMode="decimal" autoComplete="off" />
          </FormField>
        </div>
        <FormField label="Environment" hint={ENV_HINT} error={fieldError('env')}>
          <EnvTextarea {...bind('env')} placeholder={'REGION=eu-west-1\nDRY_RUN=1'} />
        </FormField>
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={start.isPending}>
            {start.isPending ? 'Starting…' : 'Start execution'}
          </button>
          <Link to="/" className="button">
            Cancel
          </Link>
        </div>
      </form>
    </div>
  );
}

const ENV_HINT = `${ENV_FORMAT_HINT} Not shown again.`;

/** Only what the user filled in; a timeout that is not a number is sent as is, for the server to name. */
function requestBody(values: Values): Record<string, unknown> {
  const timeout = values.timeout.trim();
  const tags = parseTags(values.tags);
  const env = parseEnv(values.env);
  return {
    command: values.command,
    ...(values.name.trim() ? { name: values.name.trim() } : {}),
    ...(tags.length > 0 ? { tags } : {}),
    ...(values.cwd.trim() ? { cwd: values.cwd.trim() } : {}),
    ...(timeout ? { timeout: Number.isFinite(Number(timeout)) ? Number(timeout) : timeout } : {}),
    ...(env.length > 0 ? { env } : {}),
  };
}

/** The form field an API error is about (`argv` errors have no field here). */
function fieldOf(error: ApiError): Field | undefined {
  const field = error.field?.split('.')[0];
  return (FIELDS as readonly string[]).includes(field ?? '') ? (field as Field) : undefined;
}

/**
 * `body.cwd "/x": no such file or directory` next to the cwd field reads `"/x": no such file…`;
 * `body.env.1 "X" is not NAME=value` next to the environment reads `"X" is not NAME=value`.
 */
function withoutFieldPrefix(message: string, field: string): string {
  const prefix = new RegExp(`^body\\.${field}(?:\\.[\\w]+)*[:\\s]+`);
  const rest = message.replace(prefix, '');
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}
