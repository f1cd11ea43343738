// Byte encodings shared by the hostcalls: UTF-8 with an ASCII fast path, and the proxy-wasm
// header-pair serialisation (spec v0.2.1 "Header maps"; proxy-wasm-cpp-host src/pairs_util.cc):
//
//   +-----------+--------------------------------------+---------------------------------+
//   | u32 count | count x (u32 key_len, u32 value_len) | count x (key \0 value \0)       |
//   +-----------+--------------------------------------+---------------------------------+
//   all integers little-endian.
import type { HeaderList } from "./types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** cpp-host PROXY_WASM_HOST_PAIRS_MAX_BYTES / _MAX_COUNT (include/proxy-wasm/limits.h). */
export const PAIRS_MAX_BYTES = 1024 * 1024;
export const PAIRS_MAX_COUNT = 1024;

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

export function text(b: Uint8Array): string {
  const n = b.length;
  if (n < 48) {
    let s = "";
    for (let i = 0; i < n; i++) {
      const c = b[i];
      if (c > 0x7f) return decoder.decode(b);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(b);
}

/** UTF-8 byte length of a string without allocating (ASCII fast path); lone surrogates count as
 *  U+FFFD (3 bytes), as TextEncoder writes them. */
export function utf8Length(s: string): number {
  const n = s.length;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { bytes += 2; i++; }
    else bytes += 2;
  }
  return bytes;
}

export function pairsSize(pairs: HeaderList): number {
  let size = 4;
  for (let i = 0; i < pairs.length; i++) {
    const e = pairs[i];
    size += 10 + utf8Length(e[0]) + utf8Length(e[1]);
  }
  return size;
}

/** Writes s as UTF-8 at out[pos] (room checked by the caller); returns the bytes written. */
function putText(out: Uint8Array, pos: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return encoder.encodeInto(s, out.subarray(pos)).written;
    out[pos + i] = c;
  }
  return n;
}

/**
 * Writes the serialisation of pairs into out at offset (out must hold pairsSize(pairs) bytes);
 * returns the offset just past it.
 * ASCII strings are written byte by byte: no view and no TextEncoder call per string.
 */
export function marshalPairs(pairs: HeaderList, out: Uint8Array, offset: number, dv = new DataView(out.buffer, out.byteOffset)): number {
  const count = pairs.length;
  dv.setUint32(offset, count, true);
  let sizes = offset + 4;
  let pos = offset + 4 + count * 8;
  for (let i = 0; i < count; i++) {
    const e = pairs[i];
    const kl = putText(out, pos, e[0]);
    pos += kl;
    out[pos++] = 0;
    const vl = putText(out, pos, e[1]);
    pos += vl;
    out[pos++] = 0;
    dv.setUint32(sizes, kl, true);
    dv.setUint32(sizes + 4, vl, true);
    sizes += 8;
  }
  return pos;
}

let scratch = new Uint8Array(4096);
let scratchView = new DataView(scratch.buffer);

/**
 * The serialisation of pairs in a scratch buffer the host reuses (valid until the next call):
 * one pass writes the strings and learns their byte lengths, so the guest block can be
 * allocated at its exact size and filled with one copy (cpp-host allocates pairsSize() bytes).
 */
export function serializePairsScratch(pairs: HeaderList): Uint8Array {
  const count = pairs.length;
  let chars = 0;
  for (let i = 0; i < count; i++) chars += pairs[i][0].length + pairs[i][1].length;
  const room = 4 + count * 10 + chars * 3;              // UTF-8: at most 3 bytes per UTF-16 unit
  if (room > scratch.length) {
    scratch = new Uint8Array(Math.max(room, scratch.length * 2));
    scratchView = new DataView(scratch.buffer);
  }
  return scratch.subarray(0, marshalPairs(pairs, scratch, 0, scratchView));
}

export function encodePairs(pairs: HeaderList): Uint8Array {
  const out = new Uint8Array(pairsSize(pairs));
  marshalPairs(pairs, out, 0);
  return out;
}

/**
 * Parses a serialised pair list. Like cpp-host PairsUtil::toPairs, malformed or oversized input
 * yields an empty list (the hostcall then acts on no pairs) rather than an error.
 */
export function decodePairs(b: Uint8Array): HeaderList {
  if (b.length > PAIRS_MAX_BYTES || b.length < 4) return [];
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const count = dv.getUint32(0, true);
  if (count > PAIRS_MAX_COUNT || 4 + count * 8 > b.length) return [];
  const out: HeaderList = [];
  let pos = 4 + count * 8;
  for (let i = 0; i < count; i++) {
    const kl = dv.getUint32(4 + i * 8, true);
    const vl = dv.getUint32(8 + i * 8, true);
    if (pos + kl + 1 + vl + 1 > b.length) return [];
    if (b[pos + kl] !== 0) return [];
    const k = text(b.subarray(pos, pos + kl));
    pos += kl + 1;
    if (b[pos + vl] !== 0) return [];
    const v = text(b.subarray(pos, pos + vl));
    pos += vl + 1;
    out.push([k, v]);
  }
  return pos === b.length ? out : [];
}

// Buffers the host makes per callback (a body after set_buffer_bytes, a buffered body) are carved
// from shared slabs, as Node's Buffer pool does: a fresh ArrayBuffer per body costs more than the
// whole callback (about 1.9 us against 0.4 us for a 1 KiB body here). A slab lives while any body
// cut from it does, so one body a stream keeps can hold at most SLAB_SIZE; larger bodies get
// their own buffer.
const SLAB_SIZE = 32 * 1024;
const SLAB_MAX_PIECE = 4 * 1024;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabUsed = 0;

/** A zero-filled-or-overwritten Uint8Array of n bytes the caller fills completely. */
export function allocBytes(n: number): Uint8Array {
  if (n > SLAB_MAX_PIECE) return new Uint8Array(n);
  if (slabUsed + n > SLAB_SIZE) { slab = new ArrayBuffer(SLAB_SIZE); slabUsed = 0; }
  const out = new Uint8Array(slab, slabUsed, n);
  slabUsed = (slabUsed + n + 7) & ~7;
  return out;
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out = allocBytes(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export const EMPTY = new Uint8Array(0);

export function toBytes(v: string | Uint8Array | undefined | null): Uint8Array {
  if (v == null) return EMPTY;
  return typeof v === "string" ? utf8(v) : v;
}
