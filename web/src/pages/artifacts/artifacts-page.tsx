export function ArtifactsPage() {
  return (
    <div className="page">
      <h1>Artifacts</h1>
    </div>
  );
}
