import type { StepflowEvent, StepflowEventListener } from '../core/events.js';

/**
 * Synchronous in-process fan-out of the event stream (core/events.ts): execution and job events. Listeners must be cheap: they run on the
 * hot path (a `log.lines` event carries a whole read's worth of lines). A throwing listener is
 * reported and does not stop the others.
 */
export interface EventBus {
  publish(event: StepflowEvent): void;
  subscribe(listener: StepflowEventListener): () => void;
}

export function createEventBus(options: { onListenerError?: (error: unknown) => void } = {}): EventBus {
  const listeners = new Set<StepflowEventListener>();
  const onListenerError =
    options.onListenerError ?? ((error: unknown) => console.error('stepflow: event listener failed:', error));
  return {
    publish(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (error) {
          // One broken subscriber (a view, a socket) must not stop the store from recording.
          onListenerError(error);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
