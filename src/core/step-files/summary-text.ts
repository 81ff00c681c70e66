/** The most a step's summary, and the run's, may hold: GitHub's limit for a step summary. */
export const MAX_SUMMARY_BYTES = 1024 * 1024;

/** What ends a summary that went over the limit (Markdown, so it renders as a note). */
export const SUMMARY_CUT_NOTE =
  '\n\n---\n\n*⚠ StepFlow cut this summary here: it is over the 1 MiB limit.*\n';

/** A summary being built: its text, the UTF-8 bytes of script text in it, whether it was cut. */
export interface SummaryText {
  readonly text: string;
  readonly bytes: number;
  readonly cut: boolean;
}

export const EMPTY_SUMMARY: SummaryText = { text: '', bytes: 0, cut: false };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * `summary` + `addition`, at most `limit` UTF-8 bytes of script text; when it goes over, cut on a
 * character and ended with {@link SUMMARY_CUT_NOTE}. A cut summary takes nothing more. Additions
 * are already masked, so a cut cannot leave part of a secret.
 */
export function appendSummary(
  summary: SummaryText,
  addition: string,
  limit = MAX_SUMMARY_BYTES,
): SummaryText {
  if (addition === '' || summary.cut) return summary;
  const added = encoder.encode(addition);
  if (summary.bytes + added.length <= limit) {
    return { text: summary.text + addition, bytes: summary.bytes + added.length, cut: false };
  }
  const room = Math.max(0, limit - summary.bytes);
  // A cut through a multi-byte character decodes to U+FFFD: drop it.
  const kept = decoder.decode(added.subarray(0, room)).replace(/\uFFFD$/, '');
  return { text: summary.text + kept + SUMMARY_CUT_NOTE, bytes: limit, cut: true };
}
