// Context id -> context, for the dispatcher. Envoy numbers every context of a VM (roots and
// streams) from one counter (proxy-wasm-cpp-host WasmBase::allocContextId), so ids of live
// contexts form a few dense windows: `id & mask` spreads them over the slots without hashing.
//
// Layout: one block of 4-byte slots from the TLSF heap (heap.alloc), open addressing with
// linear probing and backward-shift deletion (no tombstones). A slot holds the context's
// pointer with its kind in the two low bits (managed objects are 16-byte aligned,
// std/assembly/rt/common.ts), 0 when empty; the key is the object's own contextId.
//
//   slot ─┬─ bits 31..4  context pointer
//         └─ bits  1..0  ContextKind (Root 0, Http 1, Tcp 2)
//
// 4 to 11 bytes per live context (load kept between 3/8 and 3/4), where a Map<u32, BaseContext>
// entry costs about 20 plus its buckets. The collector cannot see through tagged slots, so a
// context is pinned (__pin: the `minimal` runtime marks pinned objects as roots, rt/tcms.ts)
// while it is in the table, and unpinned when removed.
import { BaseContext } from "./context";

/** What a context is (kept in the table, not in every context object). */
export const enum ContextKind { Root = 0, Http = 1, Tcp = 2 }

const MIN_SLOTS: u32 = 16;
const KIND_MASK: usize = 3;

let slots: usize = heap.alloc(<usize>MIN_SLOTS << 2);
memory.fill(slots, 0, <usize>MIN_SLOTS << 2);
let mask: u32 = MIN_SLOTS - 1;
let count: i32 = 0;

@inline function slotAt(i: u32): usize { return slots + (<usize>i << 2); }
@inline function idOf(tagged: usize): u32 { return changetype<BaseContext>(tagged & ~KIND_MASK).contextId; }

/** The tagged slot value for `id` (pointer | kind), 0 when absent. */
export function findTagged(id: u32): usize {
  let i = id & mask;
  while (true) {
    const t = <usize>load<u32>(slotAt(i));
    if (t == 0 || idOf(t) == id) return t;
    i = (i + 1) & mask;
  }
}

@inline export function contextOf(tagged: usize): BaseContext { return changetype<BaseContext>(tagged & ~KIND_MASK); }
@inline export function kindOf(tagged: usize): ContextKind { return <ContextKind>(tagged & KIND_MASK); }

/** Number of contexts in the table. */
export function tableSize(): i32 { return count; }

/** Adds a context whose id is not in the table. */
export function insert(c: BaseContext, kind: ContextKind): void {
  if (<u32>(count + 1) * 4 > (mask + 1) * 3) resize((mask + 1) << 1);
  __pin(changetype<usize>(c));
  place(changetype<usize>(c) | <usize>kind);
  count++;
}

function place(tagged: usize): void {
  let i = idOf(tagged) & mask;
  while (load<u32>(slotAt(i)) != 0) i = (i + 1) & mask;
  store<u32>(slotAt(i), <u32>tagged);
}

/** Removes context `id` (no-op when absent). */
export function remove(id: u32): void {
  let i = id & mask;
  while (true) {
    const t = <usize>load<u32>(slotAt(i));
    if (t == 0) return;
    if (idOf(t) == id) break;
    i = (i + 1) & mask;
  }
  __unpin(<usize>load<u32>(slotAt(i)) & ~KIND_MASK);
  // Backward shift: move later entries of the probe run into the hole when their home slot
  // does not lie cyclically in (hole, j].
  let hole = i;
  let j = i;
  while (true) {
    j = (j + 1) & mask;
    const t = <usize>load<u32>(slotAt(j));
    if (t == 0) break;
    const home = idOf(t) & mask;
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      store<u32>(slotAt(hole), <u32>t);
      hole = j;
    }
  }
  store<u32>(slotAt(hole), 0);
  count--;
  if (mask + 1 > MIN_SLOTS && <u32>count * 8 < mask + 1) resize((mask + 1) >> 1);
}

function resize(n: u32): void {
  const old = slots;
  const oldN = mask + 1;
  slots = heap.alloc(<usize>n << 2);
  memory.fill(slots, 0, <usize>n << 2);
  mask = n - 1;
  for (let i: u32 = 0; i < oldN; i++) {
    const t = <usize>load<u32>(old + (<usize>i << 2));
    if (t != 0) place(t);
  }
  heap.free(old);
}
