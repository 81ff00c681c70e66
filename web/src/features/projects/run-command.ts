import { extensionOf } from './editor-language.js';

/**
 * The command the Run form starts with for a file (docs/WORKSPACE.md, Dashboard): the interpreter
 * its extension names, so a script runs whether or not its executable bit survived the archive;
 * any other file is run as a program. The path is relative to the project's root, where a run
 * starts, and quoted for /bin/sh when it needs to be.
 */
export function defaultRunCommand(path: string): string {
  const quoted = shellQuote(path);
  switch (extensionOf(path)) {
    case 'sh':
      return `sh ${quoted}`;
    case 'bash':
      return `bash ${quoted}`;
    case 'py':
      return `python3 ${quoted}`;
    default:
      return path.includes('/') ? quoted : `./${quoted}`;
  }
}

/** A word /bin/sh reads back as exactly `text`. */
export function shellQuote(text: string): string {
  return /^[\w./@%+=:,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
