// Linear-memory helpers shared by every ABI area.
//
// Host -> guest bytes: Envoy (proxy-wasm-cpp-host WasmBase::copyToPointerSize) calls the
// module's `malloc` export for each value it returns, writes the bytes there and stores
// (ptr, size) through the two out-pointers we pass. A size of 0 leaves ptr = 0 (no malloc).
// Those blocks belong to us: we copy or decode them and free them at once with heap.free,
// because the garbage collector does not know about unmanaged blocks.
//
//   RET ─┬─ +0  u32  ptr / value  (first out-parameter)
//        ├─ +4  u32  size         (second out-parameter)
//        └─ +8  u64  scratch      (u64 results, e.g. time, metric value; CAS)
import { utf8Encode } from "./utf8";

/** Scratch space for hostcall out-parameters. Single-threaded VM: no call overlaps another. */
export const RET: usize = memory.data(16, 8);
export const RET_PTR: usize = RET;
export const RET_SIZE: usize = RET + 4;
export const RET_U64: usize = RET + 8;

// One reusable block serves the host's allocations: nearly every value the host hands over
// (a body chunk, a header list, a property) is read and freed before the next one arrives, so a
// single slot spares the allocator a malloc/free pair per hostcall. A second allocation while the
// slot is held, or a larger one, goes to the heap as before.
const SLOT_SIZE: usize = 4096;
let slot: usize = 0;
let slotHeld = false;

/** Allocation for the host (exported as `malloc` and `proxy_on_memory_allocate`). */
export function hostAlloc(size: usize): usize {
  if (!slotHeld && size <= SLOT_SIZE) {
    if (slot == 0) slot = heap.alloc(SLOT_SIZE);
    slotHeld = true;
    return slot;
  }
  return heap.alloc(size);
}

/** Frees a block the host allocated through hostAlloc; 0 is ignored. */
@inline
export function freeHost(ptr: usize): void {
  if (ptr == slot) slotHeld = false;
  else if (ptr != 0) heap.free(ptr);
}

/** The bytes returned through RET_PTR/RET_SIZE, copied into a managed buffer; the host block is freed. */
export function takeReturnedBytes(): ArrayBuffer {
  const ptr = <usize>load<u32>(RET_PTR);
  const size = <i32>load<u32>(RET_SIZE);
  const out = new ArrayBuffer(size);
  if (size > 0) memory.copy(changetype<usize>(out), ptr, size);
  freeHost(ptr);
  return out;
}

/** The UTF-8 string returned through RET_PTR/RET_SIZE; the host block is freed. */
export function takeReturnedString(): string {
  const ptr = <usize>load<u32>(RET_PTR);
  const size = <usize>load<u32>(RET_SIZE);
  const out = size > 0 ? String.UTF8.decodeUnsafe(ptr, size, false) : "";
  freeHost(ptr);
  return out;
}

/** Clears the out-parameters so a host that writes nothing reads as (0, 0). */
@inline
export function clearReturn(): void {
  store<u64>(RET, 0);
}

/** UTF-8 bytes of a string (strings cross the ABI as UTF-8, without a terminator). */
@inline
export function utf8(s: string): ArrayBuffer {
  return utf8Encode(s);
}

@inline
export function ptrOf(buf: ArrayBuffer | null): usize {
  return buf === null ? 0 : changetype<usize>(buf);
}

@inline
export function lenOf(buf: ArrayBuffer | null): usize {
  return buf === null ? 0 : <usize>buf.byteLength;
}
