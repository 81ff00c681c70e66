/**
 * Tag the server puts on every remote execution (value: the reporting host); batches go only to
 * those. In core because the use cases check it and the wire schemas name it.
 */
export const REMOTE_TAG = 'stepflow.remote';
