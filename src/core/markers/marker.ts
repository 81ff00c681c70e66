import type { Annotation, StepSource } from '../model.js';

/**
 * One recognised marker line, whatever dialect printed it. Values are as printed (unescaped, trimmed
 * where the grammar says so) and not yet masked: masking is the interpreter's job.
 */
export type Marker =
  | {
      kind: 'step-start';
      name: string;
      source: Exclude<StepSource, 'implicit'>;
      /** GitLab section name, which `section_end` must repeat (the display name may differ). */
      key?: string;
    }
  | {
      kind: 'step-end';
      /** `null` closes the innermost step of `source` (`STEP_COMPLETE:` with no name, `::endgroup::`). */
      name: string | null;
      source: Exclude<StepSource, 'implicit'>;
      key?: string;
    }
  | { kind: 'step-error'; message: string }
  | { kind: 'artifact'; path: string; description: string }
  | { kind: 'meta'; key: string; value: string }
  | ({ kind: 'annotation' } & Omit<Annotation, 'id' | 'stepId' | 'seq'>)
  | { kind: 'add-mask'; value: string }
  /** `::set-output name=k::v` (deprecated on GitHub, still read): an output of the run. */
  | { kind: 'set-output'; name: string; value: string }
  | {
      kind: 'stop-commands';
      token: string;
      /** The token is a secret for the rest of the run (GitHub masks one longer than 6 characters). */
      masked: boolean;
    }
  | { kind: 'resume-commands' }
  /** Buildkite `^^^ +++`: "expand the group this line is in". */
  | { kind: 'reopen-previous' };
