// Shared data: a key/value store shared by every VM with the same vm_id in the Envoy process
// (proxy-wasm-cpp-host src/shared_data.cc). Each value carries a CAS number; set with cas = 0
// writes unconditionally, a stale non-zero cas gets CasMismatch (SharedData::set).
// Caveat from the same code: a set on a key that does not exist yet ignores cas, so two VMs
// creating the same key at once can both succeed; create counters at configure time
// (sharedInitI64) to avoid that window.
import { proxy_get_shared_data, proxy_set_shared_data } from "./bindings";
import { WasmResult } from "./enums";
import { clearReturn, freeHost, RET_PTR, RET_SIZE, RET_U64, takeReturnedBytes } from "./memory";
import { setLastResult } from "./status";
import { utf8Encode } from "./utf8";

export class SharedValue {
  constructor(public value: ArrayBuffer | null, public cas: u32) {}
}

/** The value and its CAS; value null (cas 0) when the key does not exist. Valid in any callback. */
export function getSharedData(key: string): SharedValue {
  const k = utf8Encode(key);
  clearReturn();
  store<u32>(RET_U64, 0);
  const r = proxy_get_shared_data(changetype<usize>(k), k.byteLength, RET_PTR, RET_SIZE, RET_U64);
  setLastResult(r);
  if (r != WasmResult.Ok) { freeHost(<usize>load<u32>(RET_PTR)); return new SharedValue(null, 0); }
  const cas = load<u32>(RET_U64);
  return new SharedValue(takeReturnedBytes(), cas);
}

/** Writes the value; with cas != 0 only if the stored CAS still equals it (else CasMismatch).
 *  Valid in any callback. */
export function setSharedData(key: string, value: ArrayBuffer, cas: u32 = 0): WasmResult {
  const k = utf8Encode(key);
  const r = proxy_set_shared_data(changetype<usize>(k), k.byteLength, changetype<usize>(value), value.byteLength, cas);
  setLastResult(r);
  return <WasmResult>r;
}

/** Read-modify-write with CAS, retried on mismatch up to maxAttempts. update returns the new
 *  value, or null to abort without writing. Returns the value written, or null (aborted, out of
 *  attempts, or another error: see lastResult()). Valid in any callback. */
export function updateSharedData(key: string, update: (old: ArrayBuffer | null) => ArrayBuffer | null, maxAttempts: i32 = 64): ArrayBuffer | null {
  for (let i = 0; i < maxAttempts; i++) {
    const cur = getSharedData(key);
    const next = update(cur.value);
    if (next === null) return null;
    const r = setSharedData(key, next, cur.cas);
    if (r == WasmResult.Ok) return next;
    if (r != WasmResult.CasMismatch) return null;
  }
  setLastResult(WasmResult.CasMismatch);
  return null;
}

function i64Bytes(v: i64): ArrayBuffer {
  const b = new ArrayBuffer(8);
  store<i64>(changetype<usize>(b), v);
  return b;
}

/** Decodes a little-endian i64 value; absent or not 8 bytes -> 0. */
function readI64(v: ArrayBuffer | null): i64 {
  if (v === null || v.byteLength != 8) return 0;
  return load<i64>(changetype<usize>(v));
}

/** Atomic i64 add bounded to [min, max]; returns the new value, or i64.MIN_VALUE when the bound
 *  would be crossed (nothing written) or the CAS loop gave up (lastResult() = CasMismatch).
 *  Values are 8 bytes little-endian; an absent key counts as 0. Valid in any callback. */
export function sharedAdd(key: string, delta: i64, min: i64, max: i64): i64 {
  for (let i = 0; i < 64; i++) {
    const cur = getSharedData(key);
    const next = readI64(cur.value) + delta;
    if (next < min || next > max) return i64.MIN_VALUE;
    const r = setSharedData(key, i64Bytes(next), cur.cas);
    if (r == WasmResult.Ok) return next;
    if (r != WasmResult.CasMismatch) return i64.MIN_VALUE;
  }
  setLastResult(WasmResult.CasMismatch);
  return i64.MIN_VALUE;
}

/** The i64 stored under key (0 when absent). Valid in any callback. */
export function sharedGetI64(key: string): i64 {
  return readI64(getSharedData(key).value);
}

/** Creates key with value `initial` unless it exists (keeps the current value). Call it in
 *  onConfigure so sharedAdd never races on creation. */
export function sharedInitI64(key: string, initial: i64 = 0): void {
  const cur = getSharedData(key);
  if (cur.value === null) setSharedData(key, i64Bytes(initial), 0);
}
