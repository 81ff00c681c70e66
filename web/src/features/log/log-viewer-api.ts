import type { Ref } from 'react';
import type { ExecutionDetail } from '../../api/types.js';
import type { LineFeed } from '../../live/line-feed.js';

/** What the execution page can ask of the log pane. */
export interface LogViewerHandle {
  /** Expands the step's section (and its parents) and scrolls to its first line. */
  revealStep(stepId: number): void;
  /** Puts the cursor in the search box (the page binds `/` to it). */
  focusSearch(): void;
}

export interface LogViewerProps {
  /** The latest state (REST, then kept current by the page's live subscription). */
  execution: ExecutionDetail;
  /** Lines after `execution.lineCount` at the time the page subscribed, live. */
  lineFeed: LineFeed;
  ref?: Ref<LogViewerHandle>;
}
