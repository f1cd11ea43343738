// ws-router's happy path in envoy-test/host: hostcalls per upgrade stream and time per request,
// next to bench/floor-router.wat (the same three hostcalls, no logic) and the
// bench floor (bench/floor.wat: no hostcall on request headers). Targets: <= 6 hostcalls per
// stream, <= 2 us per request.
import { readFileSync } from "node:fs";
import type { HeaderList, Host, Plugin } from "../envoy-test/host/index.ts";
import { CONFIG, upgrade } from "./support/ws-router.ts";
import { benchPlugin, interleavedMedians, ratio, table, target, type Target } from "./lib.ts";
import { floorModule } from "./peers.ts";
import { assembleFile } from "./support/wat.ts";

const REQUESTS = ["/messages", "/presence?team=T024BE7LD", "/apps", "/messages/v2/x"].map((p) => upgrade(p));
const SWITCHING: HeaderList = [[":status", "101"], ["upgrade", "websocket"], ["connection", "Upgrade"], ["sec-websocket-accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]];

async function load(wasm: string | Uint8Array, configuration: string, countHostcalls = false): Promise<{ host: Host; plugin: Plugin }> {
  return benchPlugin("ws-router bench", { wasm, rootId: "ws_router", configuration }, countHostcalls);
}

function lifecycles(plugin: Plugin, n: number): void {
  for (let i = 0; i < n; i++) {
    const s = plugin.createHttpStream({ worker: 0 });
    s.callOnRequestHeaders(REQUESTS[i & 3], false);
    s.callOnResponseHeaders(SWITCHING, false);
    s.complete();
  }
}

export async function wsRouter(opts: { iterations: number; rounds: number }): Promise<{ results: Record<string, unknown>; targets: Target[] }> {
  const floorRouter = await assembleFile("bench/floor-router.wat");

  const counted = await load("build/ws-router.wasm", CONFIG, true);
  lifecycles(counted.plugin, 4);
  counted.host.hostcalls!.clear();
  const s = counted.plugin.createHttpStream({ worker: 0 });
  s.callOnRequestHeaders(REQUESTS[0], false);
  const routed = s.requestHeaders.find(([k]) => k === "x-wss-cluster")?.[1] ?? null;
  s.callOnResponseHeaders(SWITCHING, false);
  s.complete();
  const byName = Object.fromEntries(counted.host.hostcalls!);
  const hostcalls = Object.values(byName).reduce((a, b) => a + b, 0);
  if (!routed) console.log("  warning: ws-router did not set x-wss-cluster on the happy path");

  const mods: Record<string, Plugin> = {
    "ws-router": (await load("build/ws-router.wasm", CONFIG)).plugin,
    "floor-router (3 hostcalls, no logic)": (await load(floorRouter, "")).plugin,
    "floor (no hostcall)": (await load(await floorModule(), "")).plugin,
  };
  const names = Object.keys(mods);
  const whole = interleavedMedians(Object.fromEntries(names.map((n) => [n, (k: number) => lifecycles(mods[n], k)])), opts.iterations, opts.rounds);

  table(`ws-router happy path: hostcalls per upgrade stream (routed to ${routed})`, ["module", "hostcalls", "by name"],
    [["ws-router", hostcalls, Object.entries(byName).map(([k, v]) => `${k.replace(/^proxy_/, "")} ${v}`).join(", ")]]);
  table(`ws-router per request in envoy-test/host (CPU ns, median of ${opts.rounds} rounds x ${opts.iterations})`,
    ["module", "ns per upgrade stream", "x floor-router", "x floor"],
    names.map((n) => [n, whole[n], ratio(whole[n], whole["floor-router (3 hostcalls, no logic)"]), ratio(whole[n], whole["floor (no hostcall)"])]));
  // The same three hostcalls cost the host the same in both: the difference is the filter's own.
  const own = whole["ws-router"] - whole["floor-router (3 hostcalls, no logic)"];

  // A client's header flood: 4,000 spoofed x-wss-* names against 4,000 ordinary ones. Stripping
  // must stay linear and cheap (one map write), so the two cost about the same.
  const flood = (prefix: string) => upgrade("/messages", "wss-primary.slack.com", Array.from({ length: 4000 }, (_, i): [string, string] => [`${prefix}${i}`, "1"]));
  const floods = { spoofed: flood("x-wss-f"), ordinary: flood("x-ord-f") };
  const router = mods["ws-router"];
  const floodRun = (h: HeaderList) => (k: number) => {
    for (let i = 0; i < k; i++) { const st = router.createHttpStream({ worker: 0 }); st.callOnRequestHeaders(h, false); st.complete(); }
  };
  const floodIterations = Math.max(5, Math.round(opts.iterations / 400));
  const floodNs = interleavedMedians({ spoofed: floodRun(floods.spoofed), ordinary: floodRun(floods.ordinary) }, floodIterations, opts.rounds);
  const floodRatio = floodNs.spoofed / floodNs.ordinary;
  table(`ws-router under a 4,000-header flood (CPU ns per request, median of ${opts.rounds} rounds x ${floodIterations})`,
    ["headers", "ns per request", "x ordinary"],
    [["4,000 x-wss-* (stripped)", floodNs.spoofed, ratio(floodNs.spoofed, floodNs.ordinary)], ["4,000 ordinary", floodNs.ordinary, "1.00"]]);
  const targets = [
    target("ws-router hostcalls per happy-path stream", hostcalls, 6, "calls"),
    target("ws-router per request, whole stream in the host (host marshalling + guest)", +(whole["ws-router"] / 1000).toFixed(3), 2, "us"),
    target("ws-router per request, own cost (minus floor-router)", +(own / 1000).toFixed(3), 2, "us"),
    target("ws-router 4,000 spoofed x-wss-* headers vs 4,000 ordinary ones", +floodRatio.toFixed(2), 1.5, "x"),
  ];
  return { results: { hostcalls, hostcallsByName: byName, wholeStreamNs: whole, ownCostNs: own, floodNs }, targets };
}
