/** The syntax the editor highlights a file with, by its extension (plain text otherwise). */
export type EditorLanguage = 'shell' | 'python' | 'yaml' | 'json' | 'markdown' | 'text';

const BY_EXTENSION: Record<string, EditorLanguage> = {
  sh: 'shell',
  bash: 'shell',
  py: 'python',
  yaml: 'yaml',
  yml: 'yaml',
  json: 'json',
  md: 'markdown',
};

export function languageOf(path: string): EditorLanguage {
  return BY_EXTENSION[extensionOf(path)] ?? 'text';
}

/** `a/b.Tar.GZ` → `gz`; `Makefile` → `` (lower case, the last part of the name only). */
export function extensionOf(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}
