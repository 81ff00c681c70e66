import { isSealed } from './secret-box.js';

/**
 * What can hold a secret value: a run spec (env, secretEnv) or a job definition (those and its
 * webhooks' HMAC keys, which must stay reversible: they are sealed, never hashed).
 */
export interface SecretHolder {
  env?: Record<string, string> | undefined;
  secretEnv?: Record<string, string> | undefined;
  webhooks?: readonly { secret: string | null }[] | undefined;
}

/** What is done to one secret value; `context` names it (and is authenticated with it). */
export type SecretChange = (value: string, context: string) => string;

/** The context of an environment variable's value: its name. */
const envContext = (name: string): string => `environment variable ${name}`;
export const WEBHOOK_CONTEXT = 'webhook secret';

/**
 * `holder` with `change` applied to each secret value in it: every secretEnv value, the env
 * values whose name `isSecretName` matches (or that are sealed already: the patterns may have
 * changed since), every webhook secret. Returns `holder` itself when nothing changed.
 */
export function mapSecrets<T extends SecretHolder>(
  holder: T,
  isSecretName: (name: string) => boolean,
  change: SecretChange,
): T {
  let changed = false;
  const mapRecord = (
    record: Record<string, string> | undefined,
    applies: (name: string, value: string) => boolean,
  ): Record<string, string> | undefined => {
    if (record === undefined) return undefined;
    let out: Record<string, string> | undefined;
    for (const [name, value] of Object.entries(record)) {
      if (!applies(name, value)) continue;
      const next = change(value, envContext(name));
      if (next === value) continue;
      out ??= { ...record };
      out[name] = next;
    }
    if (out === undefined) return record;
    changed = true;
    return out;
  };
  const env = mapRecord(holder.env, (name, value) => isSecretName(name) || isSealed(value));
  const secretEnv = mapRecord(holder.secretEnv, () => true);
  const webhooks = holder.webhooks?.map((hook) => {
    if (hook.secret === null) return hook;
    const secret = change(hook.secret, WEBHOOK_CONTEXT);
    if (secret === hook.secret) return hook;
    changed = true;
    return { ...hook, secret };
  });
  if (!changed) return holder;
  return {
    ...holder,
    ...(env !== undefined ? { env } : {}),
    ...(secretEnv !== undefined ? { secretEnv } : {}),
    ...(webhooks !== undefined ? { webhooks } : {}),
  };
}
