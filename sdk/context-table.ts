// Context id -> context, for the dispatcher. Envoy numbers every context of a VM (roots and
// streams) from one counter (proxy-wasm-cpp-host WasmBase::allocContextId), so ids of live
// contexts form a few dense windows: `id & mask` spreads them over the slots without hashing.
//
// Layout: a StaticArray of context references (4 bytes a slot; the collector traces it like any
// array, so the table keeps its contexts alive), open addressing with linear probing and
// backward-shift deletion (no tombstones); null is an empty slot and the key is the context's
// own contextId. 4 to 11 bytes per live context (load kept between 3/8 and 3/4), where a
// Map<u32, BaseContext> entry costs about 20 plus its buckets.
import { BaseContext } from "./context";

const MIN_SLOTS: u32 = 16;

let slots = new StaticArray<BaseContext | null>(<i32>MIN_SLOTS);
let mask: u32 = MIN_SLOTS - 1;
let count: i32 = 0;

@inline function slotAt(i: u32): usize { return changetype<usize>(slots) + (<usize>i << 2); }
@inline function idOf(c: usize): u32 { return changetype<BaseContext>(c).contextId; }

/** The context with this id, or 0 when absent (as a pointer: no null check on the hot path). */
export function find(id: u32): usize {
  let i = id & mask;
  while (true) {
    const c = <usize>load<u32>(slotAt(i));
    if (c == 0 || idOf(c) == id) return c;
    i = (i + 1) & mask;
  }
}

/** Number of contexts in the table. */
export function tableSize(): i32 { return count; }

/** Adds a context whose id is not in the table. */
export function insert(c: BaseContext): void {
  if (<u32>(count + 1) * 4 > (mask + 1) * 3) resize((mask + 1) << 1);
  place(changetype<usize>(c));
  count++;
}

function place(c: usize): void {
  let i = idOf(c) & mask;
  while (load<u32>(slotAt(i)) != 0) i = (i + 1) & mask;
  store<u32>(slotAt(i), <u32>c);
}

/** Removes context `id` (no-op when absent). */
export function remove(id: u32): void {
  let i = id & mask;
  while (true) {
    const c = <usize>load<u32>(slotAt(i));
    if (c == 0) return;
    if (idOf(c) == id) break;
    i = (i + 1) & mask;
  }
  // Backward shift: move later entries of the probe run into the hole when their home slot
  // does not lie cyclically in (hole, j].
  let hole = i;
  let j = i;
  while (true) {
    j = (j + 1) & mask;
    const c = <usize>load<u32>(slotAt(j));
    if (c == 0) break;
    const home = idOf(c) & mask;
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      store<u32>(slotAt(hole), <u32>c);
      hole = j;
    }
  }
  store<u32>(slotAt(hole), 0);
  count--;
  if (mask + 1 > MIN_SLOTS && <u32>count * 8 < mask + 1) resize((mask + 1) >> 1);
}

// The old array becomes garbage, reclaimed at the next collection (gc.ts collects at once when
// memory grew).
function resize(n: u32): void {
  const old = changetype<usize>(slots);
  const oldN = mask + 1;
  slots = new StaticArray<BaseContext | null>(<i32>n);
  mask = n - 1;
  for (let i: u32 = 0; i < oldN; i++) {
    const c = <usize>load<u32>(old + (<usize>i << 2));
    if (c != 0) place(c);
  }
}
