/**
 * A pipeline: several commands run as one run, each node an ordinary execution, in parallel where
 * `needs` allows (docs/PIPELINES.md). This is the validated shape every caller works with; the YAML
 * text is parsed and checked at the edge (`parsePipelineYaml`), which names the line and column of
 * each problem, and nothing past the edge sees an unchecked definition.
 */

/** When a node runs, given how the nodes it needs ended (GitHub Actions' `if:` conditions). */
export const NODE_CONDITIONS = ['success', 'failure', 'always'] as const;
export type NodeCondition = (typeof NODE_CONDITIONS)[number];

export interface PipelineNodeRetry {
  /** Attempts after the first (0: none). */
  max: number;
  /** Seconds between attempts. */
  delaySeconds: number;
}

export interface PipelineNode {
  /** Its key under `nodes:`; unique; `[A-Za-z0-9_-]`, so it can name an env variable. */
  name: string;
  /** A shell command (`run:`) or an argv (`argv:`): exactly one of the two. */
  command?: string;
  argv?: string[];
  /** Relative to the pipeline's `cwd` (or the submitter's working directory) when not absolute. */
  cwd?: string;
  /** The pipeline's `env` overlaid with the node's own. */
  env: Record<string, string>;
  /** Names of nodes that must end first; each exists; no cycles. */
  needs: string[];
  if: NodeCondition;
  /** Seconds; absent: no limit but the server's. */
  timeoutSeconds?: number;
  retry: PipelineNodeRetry;
  /** Worker labels (docs/WORKERS.md); empty: any runner. */
  runsOn: string[];
  /** A failure of this node counts as success for its dependants and the pipeline's status. */
  continueOnError: boolean;
}

export interface PipelineDefinition {
  name: string;
  /** Variables every node gets (its own `env` wins). */
  env: Record<string, string>;
  cwd?: string;
  /** Nodes running at once within one run of this pipeline (the server's global limit applies too). */
  concurrency?: number;
  /** In the file's order (which the graph and the CLI keep when levels tie). */
  nodes: PipelineNode[];
  /**
   * Performance warnings for a node running long (`warnings: { warnAfter, criticalAfter }` in
   * the file, seconds); absent: 5 s and 30 s.
   */
  warnings?: PipelineWarnings;
}

export interface PipelineWarnings {
  warnAfterSeconds: number;
  criticalAfterSeconds: number;
}
