import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { createOutputFileParser, type OutputFileParser } from '../core/step-files/output-file-parser.js';
import { MAX_OUTPUT_CHARS, MAX_OUTPUT_NAMES } from '../core/step-files/output-limits.js';
import {
  appendSummary,
  EMPTY_SUMMARY,
  MAX_SUMMARY_BYTES,
  type SummaryText,
} from '../core/step-files/summary-text.js';

/** The names the run's processes find the files under: StepFlow's and GitHub's, the same files. */
const SUMMARY_VARIABLES = ['STEPFLOW_STEP_SUMMARY', 'GITHUB_STEP_SUMMARY'];
const OUTPUT_VARIABLES = ['STEPFLOW_OUTPUT', 'GITHUB_OUTPUT'];

export interface StepFilesOptions {
  executionId: string;
  /** Masks script text with the secrets known now (the interpreter's `mask`). */
  mask: (text: string) => string;
  /** Something the run should be told about (a refused output line, a limit reached). */
  warn: (message: string) => void;
}

/** What a read found new. */
export interface StepFilesChange {
  summary: boolean;
  outputs: boolean;
}

/**
 * One execution's summary and output files, in a directory of their own under the temp dir. StepFlow steps are markers in one process's output, so
 * unlike GitHub (a fresh file per step) a run gets one file of each, for its whole life; the
 * engine reads what was appended at each step boundary, and gives it to the step that was open.
 */
export interface StepFiles {
  /** Variables for the run's processes; empty when the files could not be made. */
  readonly env: Readonly<Record<string, string>>;
  /** Reads what was appended since the last read; summary text goes to `stepId`'s summary too. */
  read(stepId: number | null): StepFilesChange;
  /** An output set another way (`::set-output`); masked when shown, like the file's. */
  setOutput(name: string, value: string): void;
  stepSummary(stepId: number): string | null;
  runSummary(): string | null;
  /** Masked. */
  outputs(): Record<string, string>;
  /** The last read: a last line without a newline counts. Then the files are removed. */
  close(stepId: number | null): StepFilesChange;
}

interface OpenFile {
  fd: number;
  offset: number;
  decoder: StringDecoder;
}

export function openStepFiles({ executionId, mask, warn }: StepFilesOptions): StepFiles {
  let dir = '';
  let summaryFile: OpenFile | null = null;
  let outputFile: OpenFile | null = null;
  try {
    // In the temp dir, not the data dir: a run is not told where the database is (mode 0700).
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `stepflow-${executionId}-`));
    summaryFile = openFile(path.join(dir, 'summary.md'));
    outputFile = openFile(path.join(dir, 'output.env'));
  } catch (error) {
    // Not worth failing the run for: its script sees no variables, and the log says why.
    warn(`step summaries and outputs are off for this run: ${String(error)}`);
    closeFile(summaryFile);
    summaryFile = null;
    outputFile = null;
  }

  let run: SummaryText = EMPTY_SUMMARY;
  const steps = new Map<number, SummaryText>();
  const raw = new Map<string, string>();
  let outputChars = 0;
  let outputsRefused = false;
  let outputsChanged = false;

  const setOutput = (name: string, value: string): void => {
    const known = raw.get(name);
    const grows = (known === undefined ? name.length : -known.length) + value.length;
    if ((known === undefined && raw.size >= MAX_OUTPUT_NAMES) || outputChars + grows > MAX_OUTPUT_CHARS) {
      if (!outputsRefused) {
        warn(
          `outputs over the limit (${MAX_OUTPUT_NAMES} names, ${MAX_OUTPUT_CHARS} characters): ` +
            `${name} and later ones were not kept`,
        );
      }
      outputsRefused = true;
      return;
    }
    outputChars += grows;
    raw.set(name, value);
    outputsChanged = true;
  };
  const parser: OutputFileParser = createOutputFileParser({
    output: setOutput,
    error: (message) => warn(`$STEPFLOW_OUTPUT: ${message}`),
  });

  const readSummary = (stepId: number | null, final: boolean): boolean => {
    if (summaryFile === null) return false;
    // Past the run's limit nothing more is kept: skip the bytes rather than read them.
    const text = readNew(summaryFile, run.cut ? 0 : MAX_SUMMARY_BYTES + 1, final);
    if (text === '') return false;
    const masked = mask(text);
    run = appendSummary(run, masked);
    if (stepId !== null) steps.set(stepId, appendSummary(steps.get(stepId) ?? EMPTY_SUMMARY, masked));
    return true;
  };
  const readOutputs = (final: boolean): boolean => {
    if (outputFile === null) return false;
    outputsChanged = false;
    const text = readNew(outputFile, outputsRefused ? 0 : MAX_OUTPUT_CHARS * 4, final);
    if (text !== '') parser.push(text);
    if (final) parser.end();
    return outputsChanged;
  };

  return {
    env: summaryFile && outputFile ? variables(dir) : {},
    read: (stepId) => ({ summary: readSummary(stepId, false), outputs: readOutputs(false) }),
    setOutput,
    stepSummary: (stepId) => steps.get(stepId)?.text ?? null,
    runSummary: () => (run.text === '' ? null : run.text),
    outputs() {
      const shown: Record<string, string> = {};
      // defineProperty so that `__proto__` is kept like any other name.
      for (const [name, value] of raw)
        Object.defineProperty(shown, mask(name), { value: mask(value), enumerable: true, writable: true });
      return shown;
    },
    close(stepId) {
      const change = { summary: readSummary(stepId, true), outputs: readOutputs(true) };
      closeFile(summaryFile);
      closeFile(outputFile);
      summaryFile = outputFile = null;
      // What they held is in the store now (or on its way): the files would only take disk space.
      if (dir !== '') fs.rmSync(dir, { recursive: true, force: true });
      return change;
    },
  };
}

function variables(dir: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of SUMMARY_VARIABLES) env[name] = path.join(dir, 'summary.md');
  for (const name of OUTPUT_VARIABLES) env[name] = path.join(dir, 'output.env');
  return env;
}

function openFile(file: string): OpenFile {
  // Made empty here and read through this descriptor: a script that replaces the file (rather than
  // appending to it) or makes it a FIFO cannot make the engine read something else or block.
  fs.writeFileSync(file, '', { mode: 0o600 });
  return { fd: fs.openSync(file, 'r'), offset: 0, decoder: new StringDecoder('utf8') };
}

function closeFile(file: OpenFile | null): void {
  if (file !== null) fs.closeSync(file.fd);
}

/**
 * What was appended since the last read, at most `max` bytes of it (the rest is skipped). A file
 * truncated by the script (`>` instead of `>>`) is read again from its start.
 */
function readNew(file: OpenFile, max: number, final: boolean): string {
  const size = fs.fstatSync(file.fd).size;
  if (size < file.offset) file.offset = 0;
  const length = Math.min(size - file.offset, max);
  let text = '';
  if (length > 0) {
    const buffer = Buffer.allocUnsafe(length);
    const read = fs.readSync(file.fd, buffer, 0, length, file.offset);
    text = file.decoder.write(buffer.subarray(0, read));
  }
  file.offset = size;
  return final ? text + file.decoder.end() : text;
}
