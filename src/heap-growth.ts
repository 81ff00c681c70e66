import { setFlagsFromString } from 'node:v8';

const HEAP_GROWING_FLAG = '--heap-growing-percent';

/**
 * A StepFlow process's garbage is short-lived log lines, but some of it is promoted each scavenge;
 * by default V8 then lets the old generation grow up to ~4× its live size before a full
 * collection. With 500 runs at once the live heap is ~17 MB while the heap reached 86 MB (peak RSS
 * 220–240 MB against 170–180 MB with this limit). Growing by at most 50 % costs a few more
 * (incremental, mostly concurrent) full collections; measured in docs/PERFORMANCE.md. Every
 * process that runs executions gets it (the server and `stepflow run` alike); a value given on the
 * command line or in NODE_OPTIONS wins.
 */
export function limitHeapGrowth(): void {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((arg) =>
    arg.includes(HEAP_GROWING_FLAG.slice(2)),
  );
  if (!given) setFlagsFromString(`${HEAP_GROWING_FLAG}=50`);
}
