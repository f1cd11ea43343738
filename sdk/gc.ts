// When the garbage collector runs. The runtime is `minimal` (TLSF allocator + a two-colour
// mark & sweep that only runs when __collect() is called). It marks from globals only: it does
// not scan the wasm stack, so it must run only when no managed object is referenced from a
// local. That is true at the exit of the outermost callback (depth 0): everything still alive is
// reachable from the dispatcher's context maps, the callout tables or module globals.
// Collection is amortised: after COLLECT_EVERY callbacks, after COLLECT_AFTER_DELETES context
// deletions, or as soon as linear memory grew, so a long-lived VM stays flat (garbage per
// stream is bounded by what one interval allocates) without paying a full mark & sweep per call.

let depth: i32 = 0;
let callbacks: i32 = 0;
let deletes: i32 = 0;
let pagesAtLastCollect: i32 = memory.size();
let everyCallbacks: i32 = 1024;
let afterDeletes: i32 = 64;
let collections: u32 = 0;

/** Tunes the collection schedule (defaults 1024 callbacks, 64 deletions); 1, 1 collects at every
 *  callback exit (tests, leak hunting). Valid anywhere. */
export function setCollectSchedule(callbacksBetween: i32, deletesBetween: i32): void {
  everyCallbacks = max(1, callbacksBetween);
  afterDeletes = max(1, deletesBetween);
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

/** @internal A context was deleted (its objects are now garbage). */
@inline
export function noteDelete(): void {
  deletes++;
}

/** @internal Exit of every exported callback: collects at depth 0 when the schedule says so. */
export function leave(): void {
  if (--depth != 0) return;
  const pages = memory.size();
  if (++callbacks >= everyCallbacks || deletes >= afterDeletes || pages != pagesAtLastCollect) {
    __collect();
    callbacks = 0;
    deletes = 0;
    pagesAtLastCollect = pages;
    collections++;
  }
}
