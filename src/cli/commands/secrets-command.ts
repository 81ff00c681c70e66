import fs from 'node:fs';
import type { Secrets } from '../../app/secrets.js';
import { ERROR_CODES, StepflowError } from '../../core/errors.js';
import { generateSecretKey, parseSecretKey, type SecretKey } from '../../secrets/secret-key.js';

/** `stepflow secrets status` (docs/SECRETS.md): which key, and how many stored values it seals. */
export async function secretsStatusCommand(secrets: Secrets, options: { json?: boolean }): Promise<number> {
  const status = await secrets.status();
  if (options.json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(
    [
      `key:         ${status.keyId ?? 'none'} (from ${status.keySource})`,
      `sealed with: ${status.storedKeyId ?? 'nothing yet'}`,
      `sealed:      ${status.sealed.jobs} job definitions, ${status.sealed.runs} run specs${status.sealed.settings > 0 ? ', the settings' : ''}`,
      '',
    ].join('\n'),
  );
  return 0;
}

/**
 * `stepflow secrets rotate-key`: the new key from `--new-key-file`, else `STEPFLOW_NEW_SECRET_KEY`,
 * else (key file only) a generated one written to the key file.
 */
export async function secretsRotateCommand(
  secrets: Secrets,
  options: { newKeyFile?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const fromEnv = Boolean(env.STEPFLOW_SECRET_KEY);
  let next: SecretKey;
  if (options.newKeyFile !== undefined) {
    next = parseSecretKey(fs.readFileSync(options.newKeyFile, 'utf8'), `the key file ${options.newKeyFile}`);
  } else if (env.STEPFLOW_NEW_SECRET_KEY) {
    next = parseSecretKey(env.STEPFLOW_NEW_SECRET_KEY, 'STEPFLOW_NEW_SECRET_KEY');
  } else if (fromEnv) {
    throw new StepflowError(
      ERROR_CODES.USAGE,
      'the key comes from STEPFLOW_SECRET_KEY: give the new one with --new-key-file or STEPFLOW_NEW_SECRET_KEY',
    );
  } else {
    next = generateSecretKey();
  }
  const report = await secrets.rotateKey(next);
  process.stdout.write(
    `re-sealed ${report.rewritten.jobs} job definitions and ${report.rewritten.runs} run specs${report.rewritten.settings > 0 ? ' (and the settings)' : ''}: ` +
      `key ${report.oldKeyId} → ${report.newKeyId}\n`,
  );
  process.stdout.write(
    fromEnv
      ? 'set STEPFLOW_SECRET_KEY to the new key on every server and worker host before starting them: the old key opens nothing now\n'
      : 'the new key is in the key file; back it up (backups do not include it)\n',
  );
  return 0;
}
