import { useSyncExternalStore } from 'react';

const DARK_QUERY = '(prefers-color-scheme: dark)';

/**
 * A key that changes whenever the colours in effect may have: the user's pick (`data-theme` on
 * <html>, set by the theme toggle) or the system's light/dark preference. Canvas drawings (charts)
 * read CSS variables once, so they redraw when this changes.
 */
export function useThemeKey(): string {
  return useSyncExternalStore(subscribe, snapshot);
}

function snapshot(): string {
  const picked = document.documentElement.dataset.theme ?? 'system';
  return `${picked}:${window.matchMedia(DARK_QUERY).matches ? 'dark' : 'light'}`;
}

function subscribe(onChange: () => void): () => void {
  const media = window.matchMedia(DARK_QUERY);
  media.addEventListener('change', onChange);
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  return () => {
    media.removeEventListener('change', onChange);
    observer.disconnect();
  };
}

/** The value of a CSS custom property on <html> (`--fg` → `#1f2328`). */
export function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}
