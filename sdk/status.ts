// The result of the last hostcall made through a wrapper whose return value cannot carry it
// (e.g. httpCall returns 0 on failure; lastResult says why). Mirrors errno: read it right after.
import { WasmResult } from "./enums";
import { u32s } from "./fmt";

let last: WasmResult = WasmResult.Ok;

/** The WasmResult of the most recent SDK call that can fail without saying so in its return. */
export function lastResult(): WasmResult {
  return last;
}

/** @internal */
@inline
export function setLastResult(r: u32): void {
  last = <WasmResult>r;
}

/** Short names for WasmResult values, for log lines. */
export function resultName(r: WasmResult): string {
  switch (r) {
    case WasmResult.Ok: return "Ok";
    case WasmResult.NotFound: return "NotFound";
    case WasmResult.BadArgument: return "BadArgument";
    case WasmResult.SerializationFailure: return "SerializationFailure";
    case WasmResult.ParseFailure: return "ParseFailure";
    case WasmResult.BadExpression: return "BadExpression";
    case WasmResult.InvalidMemoryAccess: return "InvalidMemoryAccess";
    case WasmResult.Empty: return "Empty";
    case WasmResult.CasMismatch: return "CasMismatch";
    case WasmResult.ResultMismatch: return "ResultMismatch";
    case WasmResult.InternalFailure: return "InternalFailure";
    case WasmResult.BrokenConnection: return "BrokenConnection";
    case WasmResult.Unimplemented: return "Unimplemented";
  }
  return "WasmResult(" + u32s(<u32>r) + ")";
}
