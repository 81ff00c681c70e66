export function ExecutionPage() {
  return (
    <div className="page">
      <h1>Execution</h1>
    </div>
  );
}
