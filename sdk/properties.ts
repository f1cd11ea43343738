// Properties (Envoy attributes: request.path, source.address, plugin_root_id, ...).
// A path is its segments each followed by NUL: Envoy (context.cc Context::getProperty) splits on
// '\0', and older Envoy releases required the trailing NUL, so we always write it.
// Values come back in Envoy's encoding: strings as bytes, integers as little-endian int64,
// booleans as one byte (context.cc serializeValue).
import { proxy_get_property, proxy_set_property } from "./bindings";
import { WasmResult } from "./enums";
import { clearReturn, freeHost, RET_PTR, RET_SIZE, takeReturnedBytes } from "./memory";
import { setLastResult } from "./status";
import { utf8Length, utf8Write } from "./utf8";

/** Serialises a property path (pure). */
export function serializePath(path: string[]): ArrayBuffer {
  let size = 0;
  for (let i = 0; i < path.length; i++) size += <i32>utf8Length(unchecked(path[i])) + 1;
  const buf = new ArrayBuffer(size);
  let p = changetype<usize>(buf);
  for (let i = 0; i < path.length; i++) {
    const seg = unchecked(path[i]);
    p += utf8Write(seg, p);
    store<u8>(p, 0);
    p += 1;
  }
  return buf;
}

/** The raw value, or null when absent (lastResult() says NotFound or why not).
 *  Valid in any callback; request/response attributes only while that stream exists. */
export function getProperty(path: string[]): ArrayBuffer | null {
  const p = serializePath(path);
  clearReturn();
  const r = proxy_get_property(changetype<usize>(p), p.byteLength, RET_PTR, RET_SIZE);
  setLastResult(r);
  if (r != WasmResult.Ok) { freeHost(<usize>load<u32>(RET_PTR)); return null; }
  return takeReturnedBytes();
}

/** The value as UTF-8 text, or null when absent. */
export function getPropertyString(path: string[]): string | null {
  const v = getProperty(path);
  return v === null ? null : String.UTF8.decode(v, false);
}

/** The value as Envoy's little-endian int64; 0 when absent or not 8 bytes long. */
export function getPropertyInt(path: string[]): i64 {
  const v = getProperty(path);
  if (v === null || v.byteLength != 8) return 0;
  return load<i64>(changetype<usize>(v));
}

/** The value as a boolean (one non-zero byte); false when absent. */
export function getPropertyBool(path: string[]): bool {
  const v = getProperty(path);
  if (v === null || v.byteLength == 0) return false;
  return load<u8>(changetype<usize>(v)) != 0;
}

/** Sets a property (Envoy stores it as filter state, context.cc setProperty).
 *  Valid in stream callbacks. */
export function setProperty(path: string[], value: ArrayBuffer): WasmResult {
  const p = serializePath(path);
  const r = proxy_set_property(changetype<usize>(p), p.byteLength, changetype<usize>(value), value.byteLength);
  setLastResult(r);
  return <WasmResult>r;
}
