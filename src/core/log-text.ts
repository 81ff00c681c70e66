import { LineFlag, type LogLine } from './model.js';

/**
 * The plain-text log (`GET …/logs?format=text`, `stepflow logs`): each line ends with '\n', except
 * a piece of a line longer than the stored maximum, which its next piece continues — so the long
 * line comes out whole. A filtered read (`joinContinued` false) can hold one piece without the
 * next: then every piece ends its line.
 */
export function renderLogText(lines: readonly LogLine[], joinContinued = true): string {
  let text = '';
  for (const line of lines)
    text += joinContinued && line.flags & LineFlag.Continued ? line.text : `${line.text}\n`;
  return text;
}
