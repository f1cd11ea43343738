// Envoy's Buffer::copyFrom (source/extensions/common/wasm/context.cc), what proxy_set_buffer_bytes
// does to a body or data buffer: start 0 drains the first `length` bytes and prepends the data
// (length 0: a pure prepend); start >= size appends; anything else is BadArgument.
import { allocBytes } from "./codec.ts";

/** The buffer after the edit, as one new array (cut from the codec's slab), or null for BadArgument. */
export function copyFrom(b: Uint8Array, start: number, length: number, d: Uint8Array): Uint8Array | null {
  if (start === 0) {
    const rest = Math.min(length, b.length);
    const next = allocBytes(d.length + b.length - rest);
    next.set(d, 0);
    if (rest < b.length) next.set(rest === 0 ? b : b.subarray(rest), d.length);
    return next;
  }
  if (start >= b.length) {
    const next = allocBytes(b.length + d.length);
    next.set(b, 0);
    next.set(d, b.length);
    return next;
  }
  return null;
}
