import { useEffect, useState } from 'react';

/**
 * `value` once it has stopped changing for `delayMs` (compared as JSON, so a new object with the
 * same content is no change): a request per pause in typing, not per key.
 */
export function useDebouncedValue<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  const json = JSON.stringify(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(JSON.parse(json) as T), delayMs);
    return () => clearTimeout(timer);
  }, [json, delayMs]);
  return settled;
}
