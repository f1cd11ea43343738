// Replacements for AssemblyScript's env.abort / env.trace / env.seed imports, which Envoy does not
// register (proxy-wasm-cpp-host src/wasm.cc: a module with an unknown import fails to load).
// asconfig.json routes them here with "use": ["abort=sdk/runtime/abort/abort", ...].
import { proxy_get_current_time_nanoseconds, proxy_log } from "../bindings";
import { u32s } from "../fmt";
import { utf8Encode } from "../utf8";

let aborting = false;

/** Logs "abort: MESSAGE at FILE:LINE:COL" at Critical and traps, so Envoy marks the VM failed
 *  (fail_open decides what happens to traffic). */
export function abort(message: string | null, fileName: string | null, lineNumber: u32, columnNumber: u32): void {
  // A second abort while building the first message (e.g. out of memory) traps at once.
  if (aborting) unreachable();
  aborting = true;
  let text = "abort: " + (message === null ? "(no message)" : message);
  if (fileName !== null) text += " at " + fileName + ":" + u32s(lineNumber) + ":" + u32s(columnNumber);
  const bytes = utf8Encode(text);
  proxy_log(5, changetype<usize>(bytes), <usize>bytes.byteLength);
  unreachable();
}

/** `trace(...)` goes to proxy_log at Trace level. */
export function trace(message: string, n: i32 = 0, a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0, a4: f64 = 0): void {
  let text = "trace: " + message;
  if (n > 0) text += " " + a0.toString();
  if (n > 1) text += ", " + a1.toString();
  if (n > 2) text += ", " + a2.toString();
  if (n > 3) text += ", " + a3.toString();
  if (n > 4) text += ", " + a4.toString();
  const bytes = utf8Encode(text);
  proxy_log(0, changetype<usize>(bytes), <usize>bytes.byteLength);
}

const SEED_SCRATCH: usize = memory.data(8, 8);

/** Math.random's seed: the host clock (proxy_get_current_time_nanoseconds), not WASI. */
export function seed(): f64 {
  store<u64>(SEED_SCRATCH, 0);
  proxy_get_current_time_nanoseconds(SEED_SCRATCH);
  const t = load<u64>(SEED_SCRATCH);
  return <f64>(t == 0 ? 0x9e3779b97f4a7c15 : t);
}
