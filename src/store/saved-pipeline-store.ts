/** A saved pipeline as stored: its YAML text as given, under the name the YAML gives (docs/PIPELINES.md). */
export interface SavedPipelineRecord {
  /** The YAML's `name`: the key. */
  name: string;
  /** The text as saved (comments and layout kept), checked by the parser before it was stored. */
  yaml: string;
  /** ISO times. */
  createdAt: string;
  updatedAt: string;
}

/**
 * Saved pipelines (docs/PIPELINES.md): named YAML texts. The store keeps text and times only; the
 * application layer parses before it saves. Every backend passes `saved-pipeline-store-contract.ts`.
 */
export interface SavedPipelineStore {
  /** All of them, by name (byte order, the same on every backend). */
  listSavedPipelines(): Promise<SavedPipelineRecord[]>;
  getSavedPipeline(name: string): Promise<SavedPipelineRecord | undefined>;
  /** Adds one; undefined (and nothing written) when the name is taken. */
  createSavedPipeline(pipeline: {
    name: string;
    yaml: string;
    at: string;
  }): Promise<SavedPipelineRecord | undefined>;
  /** Adds one or replaces its text (keeping its `createdAt`), atomically; says which. */
  putSavedPipeline(pipeline: {
    name: string;
    yaml: string;
    at: string;
  }): Promise<{ pipeline: SavedPipelineRecord; created: boolean }>;
  /** Whether there was one to delete. */
  deleteSavedPipeline(name: string): Promise<boolean>;
}
