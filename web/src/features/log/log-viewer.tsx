import type { LogViewerProps } from './log-viewer-api.js';

/** Placeholder until the virtualized viewer lands. */
export function LogViewer({ execution }: LogViewerProps) {
  return <div className="card">Log: {execution.lineCount} lines</div>;
}
