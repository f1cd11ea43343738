// When the garbage collector runs. The runtime is `minimal` (TLSF allocator + a two-colour
// mark & sweep that only runs when __collect() is called). It marks from globals only: it does
// not scan the wasm stack, so it must run only when no managed object is referenced from a
// local. That is true at the exit of the outermost callback (depth 0): everything still alive is
// reachable from the dispatcher's context table, the callout table or module globals.
//
// How often: a collection costs time proportional to the live heap (measured in the host: about
// 3.6 ms with 20,000 live HTTP contexts), while the garbage one callback leaves is small and
// roughly constant. So the interval grows with the number of live contexts: every
// max(1024, 4 x live contexts) callbacks, which keeps the cost per callback constant and the
// garbage between collections proportional to the live heap. Independently, a collection runs
// as soon as linear memory grew, so garbage is reclaimed before memory grows again: a VM whose
// live set is stable stays flat however many streams pass.

let depth: i32 = 0;
let callbacks: i32 = 0;
let deletes: i32 = 0;
let live: i32 = 0;
let pagesAtLastCollect: i32 = memory.size();
let everyCallbacks: i32 = 1024;
let perLiveContext: i32 = 4;
let afterDeletes: i32 = i32.MAX_VALUE;
let collections: u32 = 0;

/** Tunes the schedule: collect at least every `callbacksBetween` callbacks (default 1024, scaled
 *  up by 4 per live context) and after `deletesBetween` context deletions (default: never for
 *  that reason). (1, 1) collects at every callback exit (tests, leak hunting). Valid anywhere. */
export function setCollectSchedule(callbacksBetween: i32, deletesBetween: i32 = i32.MAX_VALUE): void {
  everyCallbacks = max(1, callbacksBetween);
  afterDeletes = max(1, deletesBetween);
  perLiveContext = callbacksBetween <= 1 ? 0 : 4;
}

/** How many collections ran (for tests and benchmarks). */
export function collectionCount(): u32 {
  return collections;
}

/** @internal Entry of every exported callback. */
@inline
export function enter(): void {
  depth++;
}

/** @internal The number of live contexts changed (the dispatcher's table size). */
@inline
export function noteLiveContexts(n: i32): void {
  live = n;
}

/** @internal A context was deleted (its objects are now garbage). */
@inline
export function noteDelete(): void {
  deletes++;
}

/** @internal Exit of every exported callback: collects at depth 0 when the schedule says so. */
export function leave(): void {
  if (--depth != 0) return;
  const pages = memory.size();
  const interval = max(everyCallbacks, perLiveContext * live);
  if (++callbacks >= interval || deletes >= afterDeletes || pages != pagesAtLastCollect) {
    __collect();
    callbacks = 0;
    deletes = 0;
    pagesAtLastCollect = memory.size();
    collections++;
  }
}
