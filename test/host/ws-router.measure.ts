// Measures ws-router's happy path in the host (not a test: speed belongs in bench/, which will
// formalise it). Usage: npx tsx test/host/ws-router.measure.ts [requests]
// Prints the mean time of callOnRequestHeaders (host serialisation + guest + hostcalls) and of a
// whole stream (create, request headers, complete), and the hostcalls per request.
import { performance } from "node:perf_hooks";
import { Host, ManualClock } from "../../envoy-test/host/index.ts";
import { CONFIG, ensureBuilt, upgrade } from "./ws-router-fixture.ts";
import { HostcallCounter } from "./ws-router-hostcalls.ts";

const N = Number(process.argv[2] ?? 50000);
const wasm = await ensureBuilt();
const counter = new HostcallCounter();
counter.install();
const plugin = await new Host({ clock: new ManualClock() }).loadPlugin({ wasm, rootId: "ws_router", configuration: CONFIG });
counter.uninstall();

const requests = ["/messages", "/presence?team=T024BE7LD", "/apps", "/messages/v2/x"].map((p) => upgrade(p));

function run(n: number, whole: boolean): number {
  const streams = whole ? [] : Array.from({ length: n }, () => plugin.createHttpStream());
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (whole) {
      const s = plugin.createHttpStream();
      s.callOnRequestHeaders(requests[i & 3]);
      s.complete();
    } else {
      streams[i].callOnRequestHeaders(requests[i & 3]);
    }
  }
  const dt = performance.now() - t0;
  if (!whole) for (const s of streams) s.complete();
  return (dt * 1000) / n;
}

run(5000, false); run(5000, true); // warm up the JIT and the module
const calls0 = counter.calls.length;
const headersUs = Math.min(run(N, false), run(N, false), run(N, false));
const callsPerRequest = (counter.calls.length - calls0) / (3 * N);
const streamUs = Math.min(run(N, true), run(N, true), run(N, true));
console.log(JSON.stringify({
  requests: N,
  onRequestHeadersMicros: +headersUs.toFixed(3),
  wholeStreamMicros: +streamUs.toFixed(3),
  hostcallsPerOnRequestHeaders: callsPerRequest,
  wasmBytes: (await import("node:fs")).statSync(wasm).size,
}));
