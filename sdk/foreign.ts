// Foreign functions: host extensions called by name (Envoy: declare_property, clear_route_cache,
// set_envoy_filter_state, ... in source/extensions/common/wasm/foreign.cc).
import { proxy_call_foreign_function } from "./bindings";
import { WasmResult } from "./enums";
import { clearReturn, freeHost, RET_PTR, RET_SIZE, takeReturnedBytes } from "./memory";
import { setLastResult } from "./status";
import { utf8Encode } from "./utf8";

/** Calls a host function by name; its result bytes (empty when it returns none), or null on
 *  failure (lastResult(): NotFound for an unknown name). Valid in any callback. */
export function callForeignFunction(name: string, args: ArrayBuffer): ArrayBuffer | null {
  const n = utf8Encode(name);
  clearReturn();
  const r = proxy_call_foreign_function(changetype<usize>(n), n.byteLength, changetype<usize>(args), args.byteLength, RET_PTR, RET_SIZE);
  setLastResult(r);
  if (r != WasmResult.Ok) { freeHost(<usize>load<u32>(RET_PTR)); return null; }
  return takeReturnedBytes();
}
