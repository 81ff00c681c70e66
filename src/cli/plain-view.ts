import { isExecutionEvent } from '../core/events.js';
import { LineFlag } from '../core/model.js';
import type { Colors } from './format.js';
import type { LiveView } from './live-view.js';
import { stepLine } from './step-line.js';

/** Appends the script's output and step changes, as text handed to `write` per batch. */
export function createPlainView({
  executionId,
  write,
  colors: c,
}: {
  executionId: string;
  write: (text: string) => void;
  colors: Colors;
}): LiveView {
  return {
    handle(event) {
      if (!isExecutionEvent(event) || event.executionId !== executionId) return;
      switch (event.type) {
        case 'log.lines': {
          let text = '';
          for (const line of event.lines) {
            if (line.flags & LineFlag.Marker) continue;
            text += line.stream === 'system' ? `${c.yellow(`stepflow: ${line.text}`)}\n` : line.text;
            if (line.stream !== 'system') text += line.flags & LineFlag.Continued ? '' : '\n';
          }
          if (text) write(text);
          break;
        }
        case 'step.started':
          if (!event.step.implicit) write(`${c.cyan('▶')} ${c.bold(event.step.name)}\n`);
          break;
        case 'step.finished':
          write(`${stepLine(c, event.step, Date.now())}\n`);
          break;
        case 'artifact.recorded':
          if (event.artifact.status === 'stored') write(`${c.cyan('📦')} artifact ${event.artifact.path}\n`);
          break;
        default:
          break;
      }
    },
    stop() {},
  };
}
