import { json } from '@codemirror/lang-json';
import { markdown } from '@codemirror/lang-markdown';
import { python } from '@codemirror/lang-python';
import { yaml } from '@codemirror/lang-yaml';
import {
  defaultHighlightStyle,
  HighlightStyle,
  StreamLanguage,
  syntaxHighlighting,
} from '@codemirror/language';
import { shell } from '@codemirror/legacy-modes/mode/shell';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useEffectEvent, useRef } from 'react';
import type { EditorLanguage } from './editor-language.js';
import './code-editor.css';

/**
 * CodeMirror 6 on one file. Loaded lazily (`React.lazy`): CodeMirror and its languages are their
 * own chunk, fetched when a file is first opened, so the rest of the dashboard does not carry it.
 * Uncontrolled: `doc` is read once (remount it, with a `key`, to load another text); each change
 * is reported through `onChange`.
 */
export function CodeEditor({
  doc,
  language,
  readOnly,
  label,
  onChange,
}: {
  doc: string;
  language: EditorLanguage;
  readOnly: boolean;
  /** The accessible name of the text box. */
  label: string;
  onChange: (text: string) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  // The editor is made once per mount; its handlers call the latest props.
  const changed = useEffectEvent((text: string) => onChange(text));
  useEffect(() => {
    const view = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc,
        extensions: [
          basicSetup,
          languageExtension(language),
          syntaxHighlighting(themedHighlightStyle),
          editorTheme,
          EditorState.readOnly.of(readOnly),
          EditorView.editable.of(!readOnly),
          EditorView.contentAttributes.of({ 'aria-label': label }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) changed(update.state.doc.toString());
          }),
        ],
      }),
    });
    return () => view.destroy();
    // Read once per mount by design (see above): a new text comes with a new key.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return <div ref={host} className="code-editor" />;
}

function languageExtension(language: EditorLanguage): Extension {
  switch (language) {
    case 'shell':
      return StreamLanguage.define(shell);
    case 'python':
      return python();
    case 'yaml':
      return yaml();
    case 'json':
      return json();
    case 'markdown':
      return markdown();
    case 'text':
      return [];
  }
}

/**
 * CodeMirror's default colours, each through a CSS variable (`--cm-708` for `#708`) that
 * code-editor.css sets to a lighter colour in the dark theme; the light theme keeps the defaults.
 * CSS variables follow the theme toggle and the system without rebuilding the editor.
 */
const themedHighlightStyle = HighlightStyle.define(
  defaultHighlightStyle.specs.map((spec) =>
    typeof spec.color === 'string' && spec.color.startsWith('#')
      ? { ...spec, color: `var(--cm-${spec.color.slice(1)}, ${spec.color})` }
      : spec,
  ),
);

const editorTheme = EditorView.theme({
  '&': { backgroundColor: 'var(--bg)', color: 'var(--fg)', height: '100%' },
  '.cm-scroller': { fontFamily: 'var(--mono)', lineHeight: '1.5' },
  '.cm-content': { caretColor: 'var(--fg)' },
  '.cm-cursor, .cm-dropCursor': { borderLeftColor: 'var(--fg)' },
  '.cm-gutters': {
    backgroundColor: 'var(--bg-subtle)',
    color: 'var(--fg-muted)',
    borderRight: '1px solid var(--border)',
  },
  '.cm-activeLine': { backgroundColor: 'var(--bg-subtle)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--bg-hover)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': {
    backgroundColor: 'var(--match) !important',
  },
  '.cm-panels': { backgroundColor: 'var(--bg-subtle)', color: 'var(--fg)' },
  '.cm-tooltip': {
    backgroundColor: 'var(--bg-subtle)',
    color: 'var(--fg)',
    border: '1px solid var(--border)',
  },
});
