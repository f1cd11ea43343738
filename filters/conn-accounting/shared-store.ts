// CasStore over the proxy-wasm shared-data hostcalls (sdk/shared-data.ts). Shared data lives
// per vm_id in the Envoy process (proxy-wasm-cpp-host src/shared_data.cc), so every worker VM
// of this plugin, and any other plugin configured with the same vm_id (drain-signal,
// operators' tools), sees the same counts.
import { getSharedData, setSharedData, WasmResult } from "../../sdk";
import { CasStore, encodeCount, decodeCount } from "./counts";

@final
export class SharedStore extends CasStore {
  load(key: string): bool {
    const got = getSharedData(key);
    const v = got.value;
    this.cas = got.cas;
    if (v == null) { this.value = 0; return true; }        // absent: count 0, cas 0 creates it
    if (v.byteLength != 8) return false;
    this.value = decodeCount(changetype<usize>(v));
    return true;
  }

  store(key: string, value: i64, cas: u32): bool {
    return setSharedData(key, encodeCount(value), cas) == WasmResult.Ok;
  }
}

/** One store per VM: it holds no per-stream state. */
export const sharedStore = new SharedStore();
