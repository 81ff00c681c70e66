import type { ReactNode } from 'react';

interface QueryStateProps<T> {
  error: Error | null | undefined;
  /** Undefined while the first page loads. */
  items: T[] | undefined;
  /** What to say when there are none. */
  empty: ReactNode;
  /** Inside a card the texts get the card's `empty` padding. */
  inCard?: boolean;
  /** An extra class for the empty text (its own spacing). */
  emptyClassName?: string;
  /** The list, rendered only when there is something in it. */
  children: (items: T[]) => ReactNode;
}

/** A fetched list's error, "Loading…" or empty text, or the list itself: one markup for all pages. */
export function QueryState<T>({
  error,
  items,
  empty,
  inCard = false,
  emptyClassName,
  children,
}: QueryStateProps<T>) {
  const card = inCard ? 'empty ' : '';
  if (error) {
    return (
      <p className={`${card}error-text`} role="alert">
        {error.message}
      </p>
    );
  }
  if (items === undefined) return <p className={`${card}muted`}>Loading…</p>;
  if (items.length === 0) {
    return <p className={`${card}muted${emptyClassName ? ` ${emptyClassName}` : ''}`}>{empty}</p>;
  }
  return <>{children(items)}</>;
}
