// The guest's own cost of ws-router's happy path: the module instantiated directly with stub
// imports that answer instantly (request headers pre-serialised: 1024 upgrades, each with its own
// Sec-WebSocket-Key and team, over 4 paths, served in turn), so the figure is the
// filter + SDK compute inside wasm, without the host's marshalling. Compared with the floor
// module (bench/floor-router.wat: the same hostcalls, no logic).
// Not a test: speed belongs in bench/. Usage: npx tsx bench/measure/ws-router-guest.ts [n]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CONFIG, ROOT, ensureBuilt, upgrade } from "../support/ws-router.ts";
import type { HeaderList } from "../../envoy-test/host/index.ts";
import { assembleFile } from "../support/wat.ts";

const N = Number(process.argv[2] ?? 200000);
const enc = new TextEncoder();

function serialise(h: HeaderList): Uint8Array {
  const parts = h.map(([k, v]) => [enc.encode(k), enc.encode(v)]);
  const size = 4 + 8 * parts.length + parts.reduce((n, [k, v]) => n + k.length + v.length + 2, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, parts.length, true);
  let pos = 4 + 8 * parts.length;
  parts.forEach(([k, v], i) => {
    dv.setUint32(4 + 8 * i, k.length, true);
    dv.setUint32(8 + 8 * i, v.length, true);
    out.set(k, pos); pos += k.length + 1;
    out.set(v, pos); pos += v.length + 1;
  });
  return out;
}

function instantiate(bytes: Uint8Array, requests: Uint8Array[]) {
  let next = 0;
  let exports!: Record<string, CallableFunction> & { memory: WebAssembly.Memory };
  const mem = () => new DataView(exports.memory.buffer);
  const give = (data: Uint8Array, ptrPtr: number, sizePtr: number) => {
    const p = (exports.malloc as (n: number) => number)(data.length);
    new Uint8Array(exports.memory.buffer, p, data.length).set(data);
    mem().setUint32(ptrPtr, p, true);
    mem().setUint32(sizePtr, data.length, true);
    return 0;
  };
  const config = enc.encode(CONFIG);
  const env: Record<string, CallableFunction> = {
    proxy_get_header_map_pairs: (_t: number, pp: number, sp: number) => give(requests[next++ & 1023], pp, sp),
    proxy_replace_header_map_value: () => 0,
    proxy_remove_header_map_value: () => 0,
    proxy_send_local_response: () => 0,
    proxy_get_log_level: (p: number) => { mem().setUint32(p, 2, true); return 0; },
    proxy_log: () => 0,
    proxy_define_metric: (_t: number, _p: number, _n: number, idp: number) => { mem().setUint32(idp, 1, true); return 0; },
    proxy_increment_metric: () => 0,
    proxy_get_property: (_p: number, _n: number, pp: number, sp: number) => give(enc.encode("ws_router"), pp, sp),
    proxy_get_buffer_bytes: (_t: number, _s: number, _l: number, pp: number, sp: number) => give(config, pp, sp),
  };
  const module = new WebAssembly.Module(bytes as BufferSource);
  const imports: Record<string, Record<string, CallableFunction>> = {};
  for (const i of WebAssembly.Module.imports(module)) {
    imports[i.module] ??= {};
    imports[i.module][i.name] = env[i.name] ?? (() => { throw new Error(`guest-measure: no stub for ${i.module}.${i.name}`); });
  }
  exports = new WebAssembly.Instance(module, imports as WebAssembly.Imports).exports as typeof exports;
  (exports._initialize as (() => void) | undefined)?.();
  (exports.proxy_on_context_create as CallableFunction)(1, 0);
  (exports.proxy_on_vm_start as CallableFunction)(1, 0);
  if (!(exports.proxy_on_configure as CallableFunction)(1, config.length)) throw new Error("guest-measure: on_configure refused the fixture configuration");
  return exports;
}

function perRequest(ex: Record<string, CallableFunction>, n: number, withHeaders = true): number {
  const create = ex.proxy_on_context_create, headers = ex.proxy_on_request_headers;
  const done = ex.proxy_on_done, log = ex.proxy_on_log, del = ex.proxy_on_delete;
  // CPU time of this process, not wall time: the machine is shared, and waiting for a core
  // is not the filter's cost.
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const id = 2 + (i & 1023);
    create(id, 1);
    if (withHeaders && headers(id, 9, 0) !== 0) throw new Error("guest-measure: the request was not routed");
    done(id); log(id); del(id);
  }
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / n;
}

const wasm = process.env.WS_ROUTER_WASM ?? await ensureBuilt();
const floor = await assembleFile(join(ROOT, "bench/floor-router.wat"));
const PATHS = ["/messages", "/presence?team=T", "/apps", "/messages/v2/x?team=T"];
const requests = Array.from({ length: 1024 }, (_, i) => {
  const key = Buffer.from(`key-${String(i).padStart(12, "0")}`).toString("base64"); // 16 bytes
  return serialise(upgrade(PATHS[i & 3] + (PATHS[i & 3].endsWith("=T") ? String(i) : ""), "wss-primary.slack.com")
    .map(([k, v]): [string, string] => (k === "sec-websocket-key" ? [k, key] : [k, v])));
});
const router = instantiate(readFileSync(wasm), requests);
const floorEx = instantiate(floor, requests);
let best = { router: Infinity, floor: Infinity, routerLifecycle: Infinity };
perRequest(router, 20000); perRequest(floorEx, 20000);
for (let r = 0; r < 7; r++) {
  best.router = Math.min(best.router, perRequest(router, N));
  best.floor = Math.min(best.floor, perRequest(floorEx, N));
  best.routerLifecycle = Math.min(best.routerLifecycle, perRequest(router, N, false));
}
console.log(JSON.stringify({
  requests: N, rounds: 7,
  routerStreamMicros: +best.router.toFixed(3),
  floorStreamMicros: +best.floor.toFixed(3),
  guestCostMicros: +(best.router - best.floor).toFixed(3),
  routerLifecycleOnlyMicros: +best.routerLifecycle.toFixed(3),
  routerOnRequestHeadersMicros: +(best.router - best.routerLifecycle).toFixed(3),
}));
