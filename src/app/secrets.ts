import { StepflowError, ERROR_CODES } from '../core/errors.js';
import { SEALED_PREFIX, isSealed, sealSecret, openSecret } from '../secrets/secret-box.js';
import type { SecretKey } from '../secrets/secret-key.js';
import type { SecretKeeper } from '../secrets/secret-keeper.js';
import type { SecretHolder } from '../secrets/secret-values.js';
import type { SecretDocumentCounts, SecretDocumentKind, SecretDocuments } from '../store/secret-documents.js';

/** What `stepflow secrets status` shows. */
interface SecretsStatus {
  /** `STEPFLOW_SECRET_KEY`, the key file's path, or `none`. */
  keySource: string;
  /** The key this process seals with; null when it has none (PostgreSQL without STEPFLOW_SECRET_KEY). */
  keyId: string | null;
  /** The key the store's secrets were last all sealed under; null before the first sealing. */
  storedKeyId: string | null;
  /** Job definitions, run specs and the settings holding values sealed under any key. */
  sealed: SecretDocumentCounts;
}

interface RotationReport {
  oldKeyId: string;
  newKeyId: string;
  rewritten: SecretDocumentCounts;
}

/** Secrets at rest (docs/SECRETS.md): the start-up check and sealing, status, key rotation. */
export interface Secrets {
  /**
   * Before a server serves: the key must be the one the stored secrets were sealed under (a clear
   * `secret_key` error names both ids otherwise), and clear text left by a version before
   * encryption is sealed, once (the key id recorded then makes later starts skip the scan).
   */
  prepare(): Promise<{ sealed: SecretDocumentCounts }>;
  status(): Promise<SecretsStatus>;
  /**
   * Re-seals every stored secret under `next` in one transaction per store. The old key opens
   * values until the commit; the new one is kept where the next start finds it before (key
   * file: `secret.key.next`, renamed over `secret.key` after the commit).
   */
  rotateKey(next: SecretKey): Promise<RotationReport>;
}

export function createSecrets({
  keeper,
  documents,
}: {
  keeper: SecretKeeper;
  documents: SecretDocuments;
}): Secrets {
  /**
   * A JSON document with `change` applied to its secrets; undefined when nothing changed. In the
   * settings only `secretEnv` is secret: their `env` is shown to everyone, whatever its names.
   */
  const rewriter =
    (change: (value: string, context: string) => string) =>
    (json: string, kind: SecretDocumentKind): string | undefined => {
      let document: SecretHolder;
      try {
        document = JSON.parse(json) as SecretHolder;
      } catch {
        // A damaged row (the API reports it unreadable, to be deleted): nothing to seal in it.
        return undefined;
      }
      if (kind === 'settings') {
        const { secretEnv } = document;
        const next = keeper.map({ secretEnv }, change).secretEnv;
        return next === secretEnv ? undefined : JSON.stringify({ ...document, secretEnv: next });
      }
      const next = keeper.map(document, change);
      return next === document ? undefined : JSON.stringify(next);
    };
  const none: SecretDocumentCounts = { jobs: 0, runs: 0, settings: 0 };
  const total = (counts: SecretDocumentCounts): number => counts.jobs + counts.runs + counts.settings;

  const wrongKey = (current: SecretKey, storedKeyId: string): StepflowError =>
    new StepflowError(
      ERROR_CODES.SECRET_KEY,
      `the secret key from ${keeper.source} (key id ${current.id}) is not the key the stored secrets ` +
        `were sealed with (key id ${storedKeyId}): start with that key (STEPFLOW_SECRET_KEY or the data ` +
        `dir's secret.key; docs/SECRETS.md)`,
      { details: { keyId: current.id, storedKeyId } },
    );

  /** The key, or undefined where there is none to have (PostgreSQL without STEPFLOW_SECRET_KEY). */
  const currentKey = (): SecretKey | undefined => {
    try {
      return keeper.current();
    } catch (error) {
      if (error instanceof StepflowError && error.code === ERROR_CODES.SECRET_KEY && keeper.source === 'none')
        return undefined;
      throw error;
    }
  };

  const sealClearText = (key: SecretKey) =>
    rewriter((value, context) => (isSealed(value) ? value : sealSecret(key, value, context)));

  return {
    async prepare() {
      const storedKeyId = await documents.keyId();
      // A rotation that stopped between its commit and the key file's rename: finish it.
      const staged = keeper.staged();
      if (staged !== undefined && staged.id === storedKeyId) keeper.promote(staged);
      const current = currentKey();
      if (current === undefined) {
        // PostgreSQL without STEPFLOW_SECRET_KEY: fine as long as no secret is stored, sealed or
        // clear (the scan throws keeper's `secret_key` error at the first one).
        const sealed = await documents.countContaining(SEALED_PREFIX);
        if (total(sealed) > 0) keeper.current();
        await documents.rewrite(
          null,
          rewriter(() => keeper.current().id),
        );
        return { sealed: none };
      }
      if (current.id === storedKeyId) return { sealed: none };
      if (storedKeyId !== null) {
        const old = await documents.countContaining(`${SEALED_PREFIX}${storedKeyId}:`);
        if (total(old) > 0) throw wrongKey(current, storedKeyId);
      }
      // An older version's data (or a new store): seal the clear text it holds, once.
      return { sealed: await documents.rewrite(current.id, sealClearText(current)) };
    },

    async status() {
      return {
        keySource: keeper.source,
        keyId: keeper.existing()?.id ?? null,
        storedKeyId: await documents.keyId(),
        sealed: await documents.countContaining(SEALED_PREFIX),
      };
    },

    async rotateKey(next) {
      await this.prepare();
      const old = keeper.current();
      if (next.id === old.id) {
        throw new StepflowError(ERROR_CODES.USAGE, `the new key is the current one (key id ${old.id})`);
      }
      keeper.stage(next);
      const rewritten = await documents.rewrite(
        next.id,
        rewriter((value, context) =>
          sealSecret(next, isSealed(value) ? openSecret([old], value, context) : value, context),
        ),
      );
      keeper.promote(next);
      return { oldKeyId: old.id, newKeyId: next.id, rewritten };
    },
  };
}
