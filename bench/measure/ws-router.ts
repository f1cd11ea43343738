// Measures ws-router's happy path in the host (not a test: speed belongs in bench/, which will
// formalise it). Usage: npx tsx bench/measure/ws-router.ts [requests]
// Prints, per request, the time of callOnRequestHeaders (host marshalling + guest + hostcalls)
// for ws-router and for the floor module (bench/floor-router.wat: the same
// three hostcalls, no logic), their difference (the filter's own cost), the time of a whole
// stream (create, request headers, complete) and the hostcalls per request.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Host, ManualClock, type Plugin } from "../../envoy-test/host/index.ts";
import { CONFIG, ROOT, ensureBuilt, upgrade } from "../support/ws-router.ts";
import { HostcallCounter } from "../support/hostcall-counter.ts";
import { assembleFile } from "../support/wat.ts";

const N = Number(process.argv[2] ?? 50000);
const wasm = process.env.WS_ROUTER_WASM ?? await ensureBuilt();
const floor = await assembleFile(join(ROOT, "bench/floor-router.wat"));

const counter = new HostcallCounter();
counter.install();
const router = await new Host({ clock: new ManualClock() }).loadPlugin({ wasm, rootId: "ws_router", configuration: CONFIG });
counter.uninstall();
const floorPlugin = await new Host({ clock: new ManualClock() }).loadPlugin({ wasm: floor, rootId: "ws_router" });

const requests = ["/messages", "/presence?team=T024BE7LD", "/apps", "/messages/v2/x"].map((p) => upgrade(p));

// CPU time of this process, not wall time: the machine is shared, and waiting for a core is
// not the filter's cost. Streams are created and completed in batches outside the timed loop.
function headersOnly(plugin: Plugin, n: number): number {
  let total = 0;
  for (let done = 0; done < n; done += 1000) {
    const batch = Array.from({ length: 1000 }, () => plugin.createHttpStream());
    const t0 = process.cpuUsage();
    for (let i = 0; i < 1000; i++) batch[i].callOnRequestHeaders(requests[i & 3]);
    const t = process.cpuUsage(t0);
    total += t.user + t.system;
    for (const s of batch) s.complete();
  }
  return total / n;
}

function wholeStream(plugin: Plugin, n: number): number {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const s = plugin.createHttpStream();
    s.callOnRequestHeaders(requests[i & 3]);
    s.complete();
  }
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / n;
}

// Rounds alternate between the modules so machine load hits both alike; each figure is the
// best round (the least disturbed one).
const ROUNDS = Number(process.env.ROUNDS ?? 7);
headersOnly(router, 5000); headersOnly(floorPlugin, 5000); // warm up the JIT and the modules
const r = { router: Infinity, floor: Infinity, routerStream: Infinity, floorStream: Infinity };
const calls0 = counter.calls.length;
let routerRequests = 0;
for (let i = 0; i < ROUNDS; i++) {
  r.router = Math.min(r.router, headersOnly(router, N));
  routerRequests += N;
  r.floor = Math.min(r.floor, headersOnly(floorPlugin, N));
}
const callsPerRequest = (counter.calls.length - calls0) / routerRequests;
for (let i = 0; i < ROUNDS; i++) {
  r.routerStream = Math.min(r.routerStream, wholeStream(router, N));
  r.floorStream = Math.min(r.floorStream, wholeStream(floorPlugin, N));
}
console.log(JSON.stringify({
  requests: N, rounds: ROUNDS,
  routerOnRequestHeadersMicros: +r.router.toFixed(3),
  floorOnRequestHeadersMicros: +r.floor.toFixed(3),
  filterOwnCostMicros: +(r.router - r.floor).toFixed(3),
  routerWholeStreamMicros: +r.routerStream.toFixed(3),
  floorWholeStreamMicros: +r.floorStream.toFixed(3),
  hostcallsPerOnRequestHeaders: callsPerRequest,
  wasmBytes: statSync(wasm).size,
}));
