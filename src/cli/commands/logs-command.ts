import { setTimeout as sleep } from 'node:timers/promises';
import { StepflowError, ERROR_CODES } from '../../core/errors.js';
import { LineFlag } from '../../core/model.js';
import { isTerminalExecutionStatus } from '../../core/statuses.js';
import { stepSubtree } from '../../core/step-subtree.js';
import type { ExecutionReadSource } from '../execution-source.js';

const FOLLOW_POLL_MS = 200;
const PAGE = 5000;

/**
 * `stepflow logs <id>`: the raw log as the script printed it (masked values already replaced when
 * they were stored). `--follow` polls the data dir or the server, so it tails any process's run.
 */
export async function logsCommand(
  source: ExecutionReadSource,
  id: string,
  options: { step?: string; follow?: boolean },
): Promise<number> {
  let detail = await source.get(id);
  /** The step asked for (by name or id) and the steps nested in it. */
  const stepIds = (): Set<number> | undefined => {
    if (options.step === undefined) return undefined;
    const named = detail!.steps.filter((s) => s.name === options.step || String(s.id) === options.step);
    return stepSubtree(
      detail!.steps,
      named.map((s) => s.id),
    );
  };
  let wanted = stepIds();
  if (wanted && wanted.size === 0 && !options.follow) {
    const names = detail.steps.map((s) => JSON.stringify(s.name)).join(', ');
    throw new StepflowError(
      ERROR_CODES.NOT_FOUND,
      `no step named ${JSON.stringify(options.step)} (steps: ${names || 'none'})`,
    );
  }

  let after = 0;
  for (;;) {
    const page = await source.readLog(id, { after, limit: PAGE });
    let text = '';
    for (const line of page.lines) {
      if (wanted && (line.stepId === null || !wanted.has(line.stepId))) continue;
      text += (line.flags ?? 0) & LineFlag.Continued ? line.text : `${line.text}\n`;
    }
    if (text && !process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
    after = page.nextAfter;
    if (page.hasMore) continue;
    if (!options.follow || isTerminalExecutionStatus(detail.status)) {
      // One more read after seeing the end status: lines committed with it are not missed.
      if (options.follow && page.lines.length > 0) continue;
      return 0;
    }
    await sleep(FOLLOW_POLL_MS);
    detail = await source.get(id);
    if (options.step !== undefined) wanted = stepIds();
  }
}
