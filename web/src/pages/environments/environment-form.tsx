import { useState, type FormEvent } from 'react';
import { ApiError } from '../../api/client.js';
import { FormField } from '../../components/form-field.js';
import type { EnvironmentInput, EnvironmentJson } from './use-environments.js';

const FIELDS = ['name', 'interpreter', 'requirements'] as const;
type Field = (typeof FIELDS)[number];

/**
 * A new environment's spec, or an existing one's (its name fixed): interpreter and requirement
 * lines. The server checks them; its error shows at the field it names.
 */
export function EnvironmentForm({
  editing,
  pending,
  error,
  onSubmit,
  onCancel,
}: {
  /** The environment being changed; undefined: a new one. */
  editing?: EnvironmentJson;
  pending: boolean;
  error: Error | null;
  onSubmit: (name: string, input: EnvironmentInput) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState(editing?.name ?? '');
  const [interpreter, setInterpreter] = useState(editing?.interpreter ?? 'python3');
  const [requirements, setRequirements] = useState(editing?.requirements.join('\n') ?? '');
  const field = error instanceof ApiError ? error.field?.split('.')[0] : undefined;
  const errorAt = (at: Field) =>
    error !== null && field === at ? error.message.replace(/^body\./, '') : undefined;
  const placed = (FIELDS as readonly string[]).includes(field ?? '');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(name.trim(), {
      interpreter: interpreter.trim(),
      requirements: requirements
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#')),
    });
  };

  const title = editing ? `Edit ${editing.name}` : 'New environment';
  return (
    <form className="environment-form card" aria-label={title} onSubmit={submit} noValidate>
      <h2>{title}</h2>
      {error !== null && !placed && (
        <p className="form-error" role="alert">
          {error.message}
        </p>
      )}
      {!editing && (
        <FormField label="Name" hint="Letters, digits, '.', '_' or '-'." error={errorAt('name')}>
          <input
            value={name}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setName(e.target.value)}
          />
        </FormField>
      )}
      <FormField
        label="Interpreter"
        hint="python3, python3.<minor> on the host's PATH, or conda:3.<minor> / micromamba:3.<minor>."
        error={errorAt('interpreter')}
      >
        <input
          className="mono"
          value={interpreter}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => setInterpreter(e.target.value)}
        />
      </FormField>
      <FormField
        label="Requirements"
        hint="requirements.txt lines, one package each (requests==2.31.0); the index comes from the settings."
        error={errorAt('requirements')}
      >
        <textarea
          className="mono"
          rows={5}
          value={requirements}
          spellCheck={false}
          onChange={(e) => setRequirements(e.target.value)}
        />
      </FormField>
      <div className="form-actions">
        <button type="submit" className="button primary" disabled={pending}>
          {editing ? 'Save environment' : 'Create environment'}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
