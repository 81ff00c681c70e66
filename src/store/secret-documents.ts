/** How many stored documents (job definitions, run specs, the settings) something was found in or done to. */
export interface SecretDocumentCounts {
  jobs: number;
  runs: number;
  /** 0 or 1: the settings document (its secret variables). */
  settings: number;
}

/** Which kind of document a rewrite is given: the application decides what is secret in each. */
export type SecretDocumentKind = 'job' | 'run' | 'settings';

/**
 * Where secret values are stored: the JSON of job definitions (env, secretEnv, webhook secrets),
 * of run specs (env, secretEnv; kept for re-runs, retries and the claims of workers) and of the
 * workspace settings (secretEnv). The
 * application decides what a secret is and seals it (docs/SECRETS.md); a backend only finds the
 * documents, rewrites them in one transaction and records which key they are sealed under.
 */
export interface SecretDocuments {
  /** The key id recorded by the last {@link rewrite}; null when none ran yet (an older version's data). */
  keyId(): Promise<string | null>;
  /**
   * In one write transaction: passes the JSON of each job definition, of each run spec that
   * may hold a secret and of the settings document (if written) to `rewrite` with its kind, saves
   * what it returns (undefined: unchanged), and records
   * `keyId` (null: records nothing, a check). A throw rolls everything back. Returns how many
   * documents changed.
   */
  rewrite(
    keyId: string | null,
    rewrite: (json: string, kind: SecretDocumentKind) => string | undefined,
  ): Promise<SecretDocumentCounts>;
  /** Documents whose JSON contains `text` (e.g. the prefix of values sealed under one key). */
  countContaining(text: string): Promise<SecretDocumentCounts>;
}
