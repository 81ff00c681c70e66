import './tag-list.css';

/** Tags as small chips: `key=value`, or `key` alone when the value is empty. */
export function TagList({ tags }: { tags: Record<string, string> }) {
  const entries = Object.entries(tags);
  if (entries.length === 0) return null;
  return (
    <ul className="tag-list" aria-label="Tags">
      {entries.map(([key, value]) => (
        <li key={key} className="tag">
          {value === '' ? key : `${key}=${value}`}
        </li>
      ))}
    </ul>
  );
}
