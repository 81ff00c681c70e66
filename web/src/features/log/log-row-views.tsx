import { memo, type KeyboardEvent, type ReactNode } from 'react';
import type { LiveLine, Step } from '../../api/types.js';
import { StatusBadge } from '../../components/status-badge.js';
import { formatDuration } from '../../format.js';
import { ansiSegments, matchOffsets, splitAtMatches, visibleText } from './ansi-segments.js';
import { formatLineTime, type TimestampMode } from './log-time.js';

/** One row of the log pane each; memoized so scrolling re-renders only rows that appear. */

const INDENT_PX = 16;
const MARKER_FLAG = 1;

export interface LineRowProps {
  seq: number;
  line: LiveLine | undefined;
  depth: number;
  top: number;
  timestamps: TimestampMode;
  startMs: number | null;
  /** Lower-case search text ('' for none). */
  needle: string;
  /** Occurrence of the current match in this line, -1 when the current match is elsewhere. */
  currentOccurrence: number;
  highlighted: boolean;
  onPermalink(seq: number): void;
}

export const LineRow = memo(function LineRow(props: LineRowProps) {
  const { seq, line, depth, top, timestamps, startMs, needle, currentOccurrence, highlighted } = props;
  const classes = ['log-row', 'log-line'];
  if (line === undefined) classes.push('log-loading');
  else {
    if (((line.flags ?? 0) & MARKER_FLAG) !== 0) classes.push('log-marker');
    if (line.stream === 'stderr') classes.push('log-stderr');
  }
  if (highlighted) classes.push('log-highlighted');
  const stderr = line?.stream === 'stderr';
  return (
    <div
      className={classes.join(' ')}
      style={{ top }}
      data-seq={seq}
      role="row"
      title={stderr ? 'stderr' : undefined}
    >
      <a
        className="log-ln"
        href={`#L${seq}`}
        aria-label={`Line ${seq}`}
        onClick={(event) => {
          event.preventDefault();
          props.onPermalink(seq);
        }}
      >
        {seq}
      </a>
      {/* The border marks stderr for the eye; this says it to a screen reader. */}
      {stderr && <span className="visually-hidden log-stream">stderr</span>}
      {timestamps !== 'off' && (
        <span className="log-ts">{line ? formatLineTime(line.ts, timestamps, startMs) : ''}</span>
      )}
      <span className="log-text" style={depth > 0 ? { paddingLeft: depth * INDENT_PX } : undefined}>
        {line === undefined ? '\u2026' : renderText(line.text, needle, currentOccurrence)}
      </span>
    </div>
  );
});

function renderText(text: string, needle: string, currentOccurrence: number): ReactNode[] {
  const segments = ansiSegments(text);
  const offsets = needle === '' ? [] : matchOffsets(visibleText(segments), needle);
  return splitAtMatches(segments, offsets, needle.length).map((piece, index) => {
    let className = piece.className;
    if (piece.match >= 0) {
      className += piece.match === currentOccurrence ? ' log-match log-match-current' : ' log-match';
    }
    const style =
      piece.color !== undefined || piece.background !== undefined
        ? { color: piece.color, backgroundColor: piece.background }
        : undefined;
    return className === '' && style === undefined ? (
      piece.text
    ) : (
      <span key={index} className={className.trim()} style={style}>
        {piece.text}
      </span>
    );
  });
}

export interface StepHeaderProps {
  step: Step;
  depth: number;
  top: number;
  collapsed: boolean;
  onToggle(stepId: number): void;
}

export const StepHeader = memo(function StepHeader({
  step,
  depth,
  top,
  collapsed,
  onToggle,
}: StepHeaderProps) {
  const toggle = () => onToggle(step.id);
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      toggle();
    }
  };
  return (
    <div
      className="log-row log-step"
      style={{ top, paddingLeft: 8 + depth * INDENT_PX }}
      role="button"
      tabIndex={0}
      aria-expanded={!collapsed}
      data-step-id={step.id}
      onClick={toggle}
      onKeyDown={onKeyDown}
    >
      <span className="log-chevron" aria-hidden="true">
        {collapsed ? '\u25B8' : '\u25BE'}
      </span>
      <StatusBadge status={step.status} iconOnly />
      <span className="log-step-name">{step.name}</span>
      <span className="log-step-duration">
        {step.durationMs === null ? '' : formatDuration(step.durationMs)}
      </span>
    </div>
  );
});
