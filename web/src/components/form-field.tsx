import { cloneElement, useId, type ReactElement } from 'react';
import './form-field.css';

interface ControlProps {
  id?: string;
  'aria-describedby'?: string;
  'aria-invalid'?: boolean;
}

/**
 * A labelled form control with its hint and error below it. The control (an input, select or
 * textarea passed as the child) gets the id, `aria-invalid` and `aria-describedby` pointing at
 * the error and the hint, so a screen reader reads the error with the field.
 */
export function FormField({
  label,
  hint,
  error,
  children,
}: {
  label: string;
  hint?: string;
  error?: string | undefined;
  children: ReactElement<ControlProps>;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(' ');
  return (
    <div className="form-field" data-invalid={error ? 'true' : undefined}>
      <label htmlFor={id}>{label}</label>
      {cloneElement(children, {
        id,
        'aria-invalid': error ? true : undefined,
        'aria-describedby': describedBy || undefined,
      })}
      {error ? (
        <p className="form-field-error" id={errorId}>
          {error}
        </p>
      ) : null}
      {hint ? (
        <p className="form-field-hint" id={hintId}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}
