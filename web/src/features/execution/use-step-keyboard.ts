import { useEffect, useEffectEvent } from 'react';

export interface StepKeyboardActions {
  /** Move the selection by +1 / -1 step. */
  move(delta: 1 | -1): void;
  /** Show the selected step in the log. */
  reveal(): void;
  /** Put the cursor in the log search. */
  search(): void;
  /** Whether `target` is inside the step list (where arrows and Enter belong to it). */
  inStepList(target: Element): boolean;
}

function isEditable(target: Element | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/**
 * The execution page's keys: `j`/`k` (anywhere but a text field) and ↓/↑ move through the steps,
 * Enter reveals the selected one, `/` searches the log. Arrows and Enter act only when the focus
 * is on the page itself or in the step list, so they keep their usual meaning elsewhere (scrolling
 * the log, pressing a button).
 */
export function useStepKeyboard(actions: StepKeyboardActions): void {
  const onKey = useEffectEvent((event: KeyboardEvent) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = document.activeElement;
    if (isEditable(target)) return;
    const free = target === null || target === document.body || actions.inStepList(target);
    switch (event.key) {
      case 'j':
      case 'k':
        actions.move(event.key === 'j' ? 1 : -1);
        break;
      case 'ArrowDown':
      case 'ArrowUp':
        if (!free) return;
        actions.move(event.key === 'ArrowDown' ? 1 : -1);
        break;
      case 'Enter':
        // Only with nothing focused: a focused step (a button) reveals itself on Enter as a click.
        if (target !== null && target !== document.body) return;
        actions.reveal();
        break;
      case '/':
        actions.search();
        break;
      default:
        return;
    }
    event.preventDefault();
  });
  useEffect(() => {
    const listener = (event: KeyboardEvent) => onKey(event);
    document.addEventListener('keydown', listener);
    return () => document.removeEventListener('keydown', listener);
  }, []);
}
