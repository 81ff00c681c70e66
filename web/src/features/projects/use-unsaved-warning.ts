import { useEffect } from 'react';
import { useBlocker } from 'react-router';

const QUESTION = 'This file has unsaved changes. Leave and lose them?';

/**
 * While `dirty`: closing or reloading the tab asks the browser's own question, and leaving for
 * another page of the dashboard (or another file: the open file is in the URL) asks ours.
 */
export function useUnsavedWarning(dirty: boolean): void {
  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) =>
      dirty &&
      (currentLocation.pathname !== nextLocation.pathname || currentLocation.search !== nextLocation.search),
  );
  useEffect(() => {
    if (blocker.state !== 'blocked') return;
    if (window.confirm(QUESTION)) blocker.proceed();
    else blocker.reset();
  }, [blocker]);
  useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      // Browsers show their own text; preventDefault is what asks.
      event.preventDefault();
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [dirty]);
}
