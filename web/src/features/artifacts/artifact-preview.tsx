import { useQuery } from '@tanstack/react-query';
import Papa from 'papaparse';
import { useEffect, useMemo } from 'react';
import Markdown from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { apiFetchBlob } from '../../api/client.js';
import type { Artifact } from '../../api/types.js';
import { previewPlanOf } from './preview-kind.js';
import './artifact-preview.css';

/** A CSV preview shows this many rows; the rest is in the download. */
const CSV_ROWS = 200;

/**
 * An artifact shown in the page. Nothing in it can script the dashboard: text, JSON and CSV are
 * React text; Markdown is rendered without raw HTML (react-markdown's default, unsafe link
 * protocols dropped); HTML goes into an iframe with an empty `sandbox` (no scripts, no forms, an
 * opaque origin) whose document also inherits the dashboard's CSP; images are decoded by `<img>`,
 * where an SVG's scripts never run.
 */
export function ArtifactPreview({ executionId, artifact }: { executionId: string; artifact: Artifact }) {
  const plan = previewPlanOf(artifact);
  const href = `/api/executions/${encodeURIComponent(executionId)}/artifacts/${artifact.id}`;
  const image = plan.kind === 'image';
  // An artifact's stored copy never changes: fetched once per page, text decoded once.
  const file = useQuery({
    queryKey: ['artifact-preview', executionId, artifact.id],
    queryFn: async ({ signal }) => {
      const blob = await apiFetchBlob(href, { signal });
      return image ? { blob, text: '' } : { blob: null, text: await blob.text() };
    },
    enabled: plan.kind !== 'none',
    staleTime: Infinity,
  });
  if (plan.kind === 'none') return <p className="muted artifact-preview-note">No preview: {plan.reason}.</p>;
  if (file.error) {
    return <p className="error-text artifact-preview-note">Preview failed: {file.error.message}</p>;
  }
  if (!file.data) return <p className="muted artifact-preview-note">Loading {artifact.path}…</p>;
  if (plan.kind === 'image') {
    return file.data.blob ? (
      <ImagePreview blob={file.data.blob} alt={artifact.description || artifact.path} />
    ) : null;
  }
  return <TextPreview text={file.data.text} kind={plan.kind} title={artifact.path} />;
}

function ImagePreview({ blob, alt }: { blob: Blob; alt: string }) {
  const url = useMemo(() => URL.createObjectURL(blob), [blob]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return (
    <div className="artifact-preview-image">
      <img src={url} alt={alt} />
    </div>
  );
}

function TextPreview({
  text,
  kind,
  title,
}: {
  text: string;
  kind: 'text' | 'json' | 'csv' | 'markdown' | 'html';
  title: string;
}) {
  switch (kind) {
    case 'json':
      return <pre className="artifact-preview-text">{prettyJson(text)}</pre>;
    case 'csv':
      return <CsvTable text={text} />;
    case 'markdown':
      return (
        <div className="artifact-preview-markdown">
          <Markdown remarkPlugins={[remarkGfm]}>{text}</Markdown>
        </div>
      );
    case 'html':
      return (
        <iframe className="artifact-preview-html" sandbox="" srcDoc={text} title={`Preview of ${title}`} />
      );
    default:
      return <pre className="artifact-preview-text">{text}</pre>;
  }
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // Shown as it is: the file is what the script wrote, valid or not.
    return text;
  }
}

function CsvTable({ text }: { text: string }) {
  const parsed = useMemo(
    () => Papa.parse<string[]>(text, { preview: CSV_ROWS + 1, skipEmptyLines: true }),
    [text],
  );
  const [header, ...rows] = parsed.data;
  if (!header) return <p className="muted artifact-preview-note">Empty CSV.</p>;
  return (
    <div className="table-scroll artifact-preview-csv">
      <table className="data">
        <thead>
          <tr>
            {header.map((cell, index) => (
              <th key={index}>{cell}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, CSV_ROWS).map((row, rowIndex) => (
            <tr key={rowIndex}>
              {row.map((cell, index) => (
                <td key={index}>{cell}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > CSV_ROWS ? (
        <p className="muted artifact-preview-note">First {CSV_ROWS} rows: download for the rest.</p>
      ) : null}
    </div>
  );
}
