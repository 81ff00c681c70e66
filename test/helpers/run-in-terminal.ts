import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach } from 'vitest';
import { ROOT } from './run-cli.js';

const BIN = path.join(ROOT, 'bin/stepflow.js');

export interface TerminalRun {
  /** Everything the terminal received so far, escape sequences included. */
  raw(): string;
  /** Resolves once `predicate(screen)` holds on the screen so far, or rejects after `timeoutMs`. */
  waitForScreen(predicate: (screen: string) => boolean, timeoutMs?: number): Promise<void>;
  /** The exit code of the CLI (`script -e` passes it on) once it ended. */
  result: Promise<{ code: number | null; raw: string; screen: string }>;
}

const running = new Set<ReturnType<typeof spawn>>();
// A test that failed while its script waits must not leave it running: killing `script` closes
// the pty, which hangs up (SIGHUP) the CLI and its script.
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});

const shellQuote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

/**
 * Starts the built CLI on a real pseudo-terminal of the given size: util-linux `script` makes the
 * pty, `stty` sizes it (`cols 0 rows 0`: a pty that does not know its size).
 */
export function startInTerminal(
  args: string[],
  options: { dataDir: string; cwd: string; cols: number; rows: number },
): TerminalRun {
  const command = `stty cols ${options.cols} rows ${options.rows}; exec ${[process.execPath, BIN, ...args].map(shellQuote).join(' ')}`;
  const child = spawn('/usr/bin/script', ['-qfec', command, '/dev/null'], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', STEPFLOW_STORAGE_PATH: options.dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let raw = '';
  const watchers = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    raw += chunk;
    for (const watcher of watchers) watcher();
  });
  const result = new Promise<{ code: number | null; raw: string; screen: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, raw, screen: screenOf(raw) })),
  );
  return {
    raw: () => raw,
    result,
    waitForScreen(predicate, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(screenOf(raw))) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`timed out waiting; screen so far:\n${screenOf(raw)}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
  };
}

/**
 * What the terminal shows (scrollback included) after `raw`: text, CR, LF, and the escapes a
 * redrawing view uses — cursor up (`CSI n A`), erase line (`CSI 2 K`), column (`CSI n G`); others
 * (colours, cursor visibility) change nothing on screen. Lines are not wrapped: tests print short ones.
 */
export function screenOf(raw: string): string {
  const lines: string[] = [''];
  let row = 0;
  let col = 0;
  const put = (text: string) => {
    const line = (lines[row] ?? '').padEnd(col);
    lines[row] = line.slice(0, col) + text + line.slice(col + text.length);
    col += text.length;
  };
  // eslint-disable-next-line no-control-regex
  const token = /\u001b\[([0-9;?]*)([@-~])|\u001b.|\r|\n|[^\u001b\r\n]+/gsu;
  for (const [match, params, final] of raw.matchAll(token)) {
    if (match === '\r') col = 0;
    else if (match === '\n') {
      row++;
      if (row === lines.length) lines.push('');
    } else if (final === 'A') row = Math.max(0, row - (Number(params) || 1));
    else if (final === 'G') col = (Number(params) || 1) - 1;
    else if (final === 'K') lines[row] = params === '2' ? '' : (lines[row] ?? '').slice(0, col);
    else if (!match.startsWith('\u001b')) put(match);
  }
  return lines.map((line) => line.trimEnd()).join('\n');
}
