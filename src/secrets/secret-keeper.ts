import fs from 'node:fs';
import path from 'node:path';
import { StepflowError, ERROR_CODES } from '../core/errors.js';
import { secretNameMatcher } from '../core/markers/secret-env.js';
import type { RunSpec } from '../core/model.js';
import { isSealed, openSecret, sealedKeyId, sealSecret } from './secret-box.js';
import { encodeSecretKey, generateSecretKey, parseSecretKey, type SecretKey } from './secret-key.js';
import { mapSecrets, WEBHOOK_CONTEXT, type SecretChange, type SecretHolder } from './secret-values.js';

/** The key file of a data dir (SQLite), created with mode 0600 when first needed. */
export const SECRET_KEY_FILE = 'secret.key';
/** A rotation's new key, written before the database changes and renamed over the key file after. */
const NEXT_KEY_SUFFIX = '.next';

export interface SecretKeeperOptions {
  /** `STEPFLOW_SECRET_KEY`, when set: wins over the key file. */
  key?: SecretKey;
  /** The data dir's key file; absent (PostgreSQL): only `key` will do. */
  keyFile?: string;
  /** Env names whose values are secret without being declared (`STEPFLOW_SECRET_ENV_PATTERNS`). */
  secretEnvPatterns: readonly string[];
}

/**
 * Seals secret values before they are stored and opens them where a run starts (engine, worker
 * claim, webhook signature). The key is read (or the key file created) when first needed, so a
 * command that meets no secret never touches it.
 */
export interface SecretKeeper {
  /** A spec (or job definition) with its clear secret values sealed; sealed ones are kept. */
  seal<T extends SecretHolder>(holder: T): T;
  /** A run spec with its sealed values opened, for the process that runs it. */
  open(spec: RunSpec): RunSpec;
  openWebhookSecret(secret: string): string;
  /** Applies `change` to every secret value of `holder` (the rotation's and the first start's rewrite). */
  map<T extends SecretHolder>(holder: T, change: SecretChange): T;
  /** The key new values are sealed under (the key file made if needed); a `secret_key` error when there is none. */
  current(): SecretKey;
  /** The key if there is one, never making a key file; undefined when there is none. */
  existing(): SecretKey | undefined;
  /** Where the key comes from, for `stepflow secrets status` and messages. */
  readonly source: string;
  /** Keeps `key` where the next start finds it, before a rotation commits (key file: `secret.key.next`). */
  stage(key: SecretKey): void;
  /** After the rotation committed: `key` becomes the current one (key file: renamed over). */
  promote(key: SecretKey): void;
  /** A staged key left by a rotation that stopped before {@link promote}, if any. */
  staged(): SecretKey | undefined;
}

export function createSecretKeeper(options: SecretKeeperOptions): SecretKeeper {
  const { keyFile } = options;
  const isSecretName = secretNameMatcher(options.secretEnvPatterns);
  const source = options.key ? 'STEPFLOW_SECRET_KEY' : (keyFile ?? 'none');
  let current = options.key;
  /** Keys that open values but seal none (the previous one, seen once a rotation happened elsewhere). */
  const older: SecretKey[] = [];

  const readKeyFile = (file: string): SecretKey | undefined => {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return parseSecretKey(text, `the key file ${file}`);
  };

  /** The key; `create`: make the key file when there is none (only to seal: opening needs the old one). */
  const load = ({ create }: { create: boolean }): SecretKey => {
    if (current !== undefined) return current;
    if (keyFile === undefined) {
      throw new StepflowError(
        ERROR_CODES.SECRET_KEY,
        'storing or running a secret needs STEPFLOW_SECRET_KEY (32 bytes, base64 or hex; the same on ' +
          'every server replica): on PostgreSQL StepFlow creates no key file, as each replica would make its own',
      );
    }
    current = readKeyFile(keyFile);
    if (current !== undefined) return current;
    if (!create) {
      throw new StepflowError(
        ERROR_CODES.SECRET_KEY,
        `a stored secret needs its key, and there is none: set STEPFLOW_SECRET_KEY or put back ${keyFile}`,
      );
    }
    const created = generateSecretKey();
    fs.mkdirSync(path.dirname(keyFile), { recursive: true });
    try {
      // wx: two processes starting at once must not each write a key of their own.
      fs.writeFileSync(keyFile, encodeSecretKey(created), { mode: 0o600, flag: 'wx' });
      current = created;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      current = readKeyFile(keyFile);
    }
    if (current === undefined) throw new Error(`the key file ${keyFile} vanished while it was created`);
    return current;
  };

  const open = (value: string, context: string): string => {
    if (!isSealed(value)) return value;
    const key = load({ create: false });
    try {
      return openSecret([key, ...older], value, context);
    } catch (error) {
      // Rotated by `stepflow secrets rotate-key` while this process ran: the file has the new key.
      const fresh = keyFile !== undefined && options.key === undefined ? readKeyFile(keyFile) : undefined;
      if (fresh === undefined || fresh.id === key.id) throw error;
      older.push(key);
      current = fresh;
      return openSecret([fresh, ...older], value, context);
    }
  };
  const seal: SecretChange = (value, context) => {
    const key = load({ create: true });
    if (!isSealed(value)) return sealSecret(key, value, context);
    // Under an older key (held in memory from before a rotation): stored under the current one.
    return sealedKeyId(value) === key.id ? value : sealSecret(key, open(value, context), context);
  };

  return {
    source,
    seal: (holder) => mapSecrets(holder, isSecretName, seal),
    open: (spec) => mapSecrets(spec, isSecretName, open),
    openWebhookSecret: (secret) => open(secret, WEBHOOK_CONTEXT),
    map: (holder, change) => mapSecrets(holder, isSecretName, change),
    current: () => load({ create: true }),
    existing() {
      if (current === undefined && keyFile !== undefined) current = readKeyFile(keyFile);
      return current;
    },
    stage(key) {
      if (keyFile === undefined || options.key !== undefined) return;
      fs.writeFileSync(keyFile + NEXT_KEY_SUFFIX, encodeSecretKey(key), { mode: 0o600 });
    },
    promote(key) {
      if (keyFile !== undefined && options.key === undefined) {
        fs.renameSync(keyFile + NEXT_KEY_SUFFIX, keyFile);
      }
      // Still opens what this process holds from before (a job the scheduler read earlier).
      if (current !== undefined && current.id !== key.id) older.push(current);
      current = key;
    },
    staged: () =>
      keyFile === undefined || options.key !== undefined ? undefined : readKeyFile(keyFile + NEXT_KEY_SUFFIX),
  };
}
