/**
 * Reads an output file (`$STEPFLOW_OUTPUT`, `$GITHUB_OUTPUT`) as the GitHub runner does
 * (actions/runner `FileCommandManager.cs`, `TryReadEnvFileCommand`): `key=value` lines, and
 * `key<<DELIM` … `DELIM` for values of several lines. The file grows while the script runs, so text
 * is pushed as it is read; a line is parsed once it is complete.
 */
export interface OutputFileParser {
  /** Text appended to the file since the last push (any cut: a line may end in the next push). */
  push(text: string): void;
  /** The file is complete: a last line without a newline counts, an open heredoc is an error. */
  end(): void;
}

export interface OutputFileSink {
  output(key: string, value: string): void;
  /** A line the runner would refuse (it fails the step; StepFlow says why and carries on). */
  error(message: string): void;
}

export function createOutputFileParser(sink: OutputFileSink): OutputFileParser {
  let pending = '';
  /** While inside a heredoc: its key, delimiter and lines so far. */
  let heredoc: { key: string; delimiter: string; lines: string[] } | null = null;

  const line = (raw: string): void => {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (heredoc !== null) {
      if (text === heredoc.delimiter) {
        sink.output(heredoc.key, heredoc.lines.join('\n'));
        heredoc = null;
      } else {
        heredoc.lines.push(text);
      }
      return;
    }
    if (text === '') return;
    const eq = text.indexOf('=');
    const hd = text.indexOf('<<');
    if (eq >= 0 && (hd < 0 || eq < hd)) {
      if (eq === 0) sink.error(`Invalid format '${text}': the name is empty`);
      else sink.output(text.slice(0, eq), text.slice(eq + 1));
    } else if (hd >= 0) {
      const key = text.slice(0, hd);
      const delimiter = text.slice(hd + 2);
      if (key === '' || delimiter === '') sink.error(`Invalid format '${text}'`);
      else heredoc = { key, delimiter, lines: [] };
    } else {
      sink.error(`Invalid format '${text}': expected name=value or name<<DELIMITER`);
    }
  };

  return {
    push(text) {
      const lines = (pending + text).split('\n');
      pending = lines.pop() ?? '';
      for (const each of lines) line(each);
    },
    end() {
      if (pending !== '') line(pending);
      pending = '';
      if (heredoc !== null) {
        sink.error(`Invalid value: matching delimiter not found '${heredoc.delimiter}'`);
        heredoc = null;
      }
    },
  };
}
