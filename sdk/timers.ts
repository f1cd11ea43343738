// Time and ticks.
import { proxy_get_current_time_nanoseconds, proxy_set_tick_period_milliseconds } from "./bindings";
import { WasmResult } from "./enums";
import { RET_U64 } from "./memory";
import { setLastResult } from "./status";

/** Wall-clock time in nanoseconds since the epoch (Envoy's time source). Valid in any callback. */
export function currentTimeNanos(): u64 {
  store<u64>(RET_U64, 0);
  setLastResult(proxy_get_current_time_nanoseconds(RET_U64));
  return load<u64>(RET_U64);
}

/** Calls the root context's onTick every `ms` milliseconds (0 stops). Valid in root context
 *  callbacks (onVmStart, onConfigure, onTick, ...). */
export function setTickPeriod(ms: u32): WasmResult {
  const r = proxy_set_tick_period_milliseconds(ms);
  setLastResult(r);
  return <WasmResult>r;
}
