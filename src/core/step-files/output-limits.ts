/**
 * What a run's outputs may hold: they travel on the execution — every listing row and live
 * update — so they are kept small. Names and values together, in UTF-16 units (what is counted
 * before masking), and how many names.
 */
export const MAX_OUTPUT_CHARS = 64 * 1024;
export const MAX_OUTPUT_NAMES = 100;
