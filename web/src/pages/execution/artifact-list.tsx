import { useState } from 'react';
import type { Artifact, ExecutionDetail } from '../../api/types.js';
import { ArtifactPreview } from '../../features/artifacts/artifact-preview.js';
import { previewPlanOf } from '../../features/artifacts/preview-kind.js';
import { StatusBadge } from '../../components/status-badge.js';
import { formatBytes } from '../../format.js';
import { DownloadLink } from '../../components/download-link.js';

/**
 * The files the script declared (`ARTIFACT:`), with a download link for each kept one and a
 * preview (images, text, JSON, CSV, Markdown, HTML) under the table for the one picked.
 */
export function ArtifactList({ execution }: { execution: ExecutionDetail }) {
  const stepNames = new Map(execution.steps.map((step) => [step.id, step.name]));
  const [previewId, setPreviewId] = useState<number | null>(null);
  const previewed = execution.artifacts.find((artifact) => artifact.id === previewId);
  return (
    <section className="card artifacts" aria-label="Artifacts">
      <div className="card-header">
        Artifacts <span className="muted">({execution.artifacts.length})</span>
      </div>
      {execution.artifacts.length === 0 ? (
        <p className="muted panel-empty">None declared (print ARTIFACT:&lt;path&gt;:&lt;description&gt;).</p>
      ) : (
        <div className="table-scroll">
          <table className="data">
            <thead>
              <tr>
                <th>Name</th>
                <th>Size</th>
                <th>Description</th>
                <th>Step</th>
                <th>
                  <span className="visually-hidden">Preview</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {execution.artifacts.map((artifact) => (
                <tr key={artifact.id} data-status={artifact.status}>
                  <td className="artifact-name">
                    <ArtifactName executionId={execution.id} artifact={artifact} />
                  </td>
                  <td>{artifact.status === 'failed' ? '–' : formatBytes(artifact.size)}</td>
                  <td className="artifact-description" title={artifact.description}>
                    {artifact.description}
                  </td>
                  <td>{artifact.stepId === null ? '–' : (stepNames.get(artifact.stepId) ?? '–')}</td>
                  <td>
                    {previewPlanOf(artifact).kind === 'none' ? null : (
                      <button
                        type="button"
                        className="link-button"
                        aria-pressed={previewId === artifact.id}
                        aria-label={`Preview ${artifact.path}`}
                        onClick={() => setPreviewId(previewId === artifact.id ? null : artifact.id)}
                      >
                        {previewId === artifact.id ? 'Hide' : 'Preview'}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {previewed ? (
        <div className="artifact-preview" role="region" aria-label={`Preview of ${previewed.path}`}>
          <ArtifactPreview executionId={execution.id} artifact={previewed} />
        </div>
      ) : null}
    </section>
  );
}

function ArtifactName({ executionId, artifact }: { executionId: string; artifact: Artifact }) {
  if (artifact.status === 'failed') {
    return (
      <>
        <StatusBadge status="failed" iconOnly /> <span className="mono">{artifact.path}</span>
        <div className="error-text artifact-error">{artifact.error ?? 'not kept'}</div>
      </>
    );
  }
  const directory = artifact.kind === 'directory';
  return (
    <DownloadLink
      className="mono"
      href={`/api/executions/${encodeURIComponent(executionId)}/artifacts/${artifact.id}`}
      title={directory ? `Download ${artifact.path} as a zip` : `Download ${artifact.path}`}
    >
      {directory ? '🗀 ' : ''}
      {artifact.path}
      {directory ? ' (zip)' : ''}
    </DownloadLink>
  );
}
