import type { ArtifactItem } from './use-artifacts.js';

export interface ExecutionGroup {
  executionId: string;
  executionName: string;
  executionStatus: ArtifactItem['executionStatus'];
  executionCreatedAt: string;
  /** Oldest first, as the execution recorded them. */
  artifacts: ArtifactItem[];
}

/**
 * Groups the listing by execution, keeping the listing's order of executions (newest first). An
 * execution cut by a page boundary ends up whole in one group.
 */
export function groupByExecution(items: ArtifactItem[]): ExecutionGroup[] {
  const groups = new Map<string, ExecutionGroup>();
  for (const item of items) {
    let group = groups.get(item.executionId);
    if (group === undefined) {
      group = {
        executionId: item.executionId,
        executionName: item.executionName,
        executionStatus: item.executionStatus,
        executionCreatedAt: item.executionCreatedAt,
        artifacts: [],
      };
      groups.set(item.executionId, group);
    }
    group.artifacts.push(item);
  }
  for (const group of groups.values()) group.artifacts.sort((a, b) => a.id - b.id);
  return [...groups.values()];
}
