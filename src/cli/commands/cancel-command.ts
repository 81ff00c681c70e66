import { setTimeout as sleep } from 'node:timers/promises';
import type { Execution } from '../../core/model.js';
import { isTerminalExecutionStatus } from '../../core/statuses.js';
import type { ExecutionSource } from '../execution-source.js';
import { colorsFor, EXECUTION_ICONS, paintStatus, type Colors } from '../format.js';

const POLL_MS = 100;
/** Beyond the kill grace: the owner's next look (≤ 1 s, a remote run's next report ≤ 2 s) and its last write. */
const WAIT_MARGIN_MS = 10_000;

/**
 * `stepflow cancel <id>`: cancels an execution whichever StepFlow process on this data dir runs it
 * (a `stepflow run` in another terminal, the server): records the request, which the owner acts on
 * within about a second, then waits until the run has ended (not with `--no-wait`). Exit 0 once it
 * ended cancelled (or interrupted: its process had died); 1 when it ended otherwise first, or is
 * still running after the kill grace and a margin (the request stays recorded).
 */
export async function cancelCommand(
  source: ExecutionSource,
  id: string,
  options: { wait?: boolean; killGraceMs: number },
): Promise<number> {
  const out = process.stdout;
  const c = colorsFor(out);
  const requested = await source.cancel(id);
  if (requested.state === 'ended') {
    const { execution } = requested;
    const why = execution.status === 'interrupted' ? 'its process had died' : 'it was still queued';
    out.write(`${describe(c, execution)}: ${execution.error ?? why}\n`);
    return 0;
  }
  const owner = requested.execution.owner;
  const where = owner ? ` (pid ${owner.pid} on ${owner.host})` : '';
  out.write(`cancel requested for ${id}; the process running it${where} stops it\n`);
  if (options.wait === false) return 0;

  const deadline = Date.now() + options.killGraceMs + WAIT_MARGIN_MS;
  for (;;) {
    const execution = await source.get(id);
    if (isTerminalExecutionStatus(execution.status)) {
      out.write(`${describe(c, execution)}\n`);
      if (execution.status === 'cancelled') return 0;
      process.stderr.write(`stepflow: it ended ${execution.status} before the cancel took effect\n`);
      return 1;
    }
    if (Date.now() > deadline) {
      process.stderr.write(
        `stepflow: ${id} is still ${execution.status}; the request stays recorded and its process${where} ` +
          'stops it when it next looks\n',
      );
      return 1;
    }
    await sleep(POLL_MS);
  }
}

function describe(c: Colors, execution: Execution): string {
  const status = paintStatus(c, execution.status, `${EXECUTION_ICONS[execution.status]} ${execution.status}`);
  return `${status} ${c.bold(execution.name)} ${c.dim(execution.id)}`;
}
