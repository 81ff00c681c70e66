import type { ComponentProps } from 'react';

/**
 * The Environment field's control, the same in every form: `NAME=value` lines in a monospace box
 * (read by `parseEnv`). Other props, FormField's id and aria ones included, go to the textarea.
 */
export function EnvTextarea(props: ComponentProps<'textarea'>) {
  return <textarea rows={3} className="mono" spellCheck={false} autoComplete="off" {...props} />;
}
