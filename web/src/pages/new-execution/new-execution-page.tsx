export function NewExecutionPage() {
  return (
    <div className="page">
      <h1>New execution</h1>
    </div>
  );
}
