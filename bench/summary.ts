// Renders the headline figures of a results file as one markdown table (the README's
// "Benchmarks" section). Usage: npx tsx bench/summary.ts [bench/results/<file>.json] (default: newest)
import { readdirSync, readFileSync } from "node:fs";
import { fmt } from "./lib.ts";

const file = process.argv[2] ?? `bench/results/${readdirSync("bench/results").filter((f) => f.endsWith(".json")).sort().at(-1)}`;
const r = JSON.parse(readFileSync(file, "utf8"));
const x = r.results;
const rows: string[][] = [];
const t = (what: string): string => {
  const found = (r.targets as { what: string; met: boolean | null }[]).find((g) => g.what === what);
  return !found ? "" : found.met === null ? "not measured" : found.met ? "met" : "**missed**";
};
const n = (v: number | null | undefined, unit = ""): string => (v === null || v === undefined ? "-" : `${fmt(v)}${unit}`);

if (x.size) {
  const a = x.size.addHeader;
  rows.push(["add-header size, raw / gzip (B)", `${n(a.ours.raw)} / ${n(a.ours.gzip)}`,
    `proxy-runtime ${n(a["proxy-runtime 0.1.8"]?.raw)} / ${n(a["proxy-runtime 0.1.8"]?.gzip)}; gcore ${n(a["gcore 1.2.3"]?.raw)} / ${n(a["gcore 1.2.3"]?.gzip)}; floor ${n(a.floor.raw)}`,
    "<= 0.7x proxy-runtime", t("add-header size / proxy-runtime size")]);
  for (const [f, s] of Object.entries(x.size.filters as Record<string, { raw: number; gzip: number }>))
    if (f !== "add-header") rows.push([`${f} size, raw / gzip (B)`, `${n(s.raw)} / ${n(s.gzip)}`, "", "<= 48 KiB", t(`${f} size`)]);
}
if (x.addHeader) {
  const h = x.addHeader;
  rows.push(["add-header hostcalls per stream", n(h.hostcalls.ours.total),
    `proxy-runtime ${n(h.hostcalls["proxy-runtime 0.1.8"]?.total)}; gcore ${n(h.hostcalls["gcore 1.2.3"]?.total)}; floor ${n(h.hostcalls.floor.total)}`, "", ""]);
  const ns = h.nsPerLifecycle;
  rows.push(["add-header time per stream lifecycle (ns)", n(ns.ours),
    `proxy-runtime ${n(ns["proxy-runtime 0.1.8"])}; gcore ${n(ns["gcore 1.2.3"])}; floor ${n(ns.floor)} (ours ${fmt(ns.ours / ns.floor)}x floor)`,
    "<= 4x floor, < gcore", [t("add-header time / floor"), t("add-header time / gcore (ahead: < 1)")].join(", ")]);
  const m = h.memory;
  rows.push([`add-header memory growth per stream over ${fmt(r.quick ? 100_000 : 1_000_000)} lifecycles (B)`, n(m.ours.growthPerStream),
    `proxy-runtime ${n(m["proxy-runtime 0.1.8"]?.growthPerStream)}; gcore ${n(m["gcore 1.2.3"]?.growthPerStream)}`, "0", t("add-header linear memory growth after warm-up")]);
}
if (x.wsRouter) {
  const w = x.wsRouter;
  rows.push(["ws-router hostcalls per upgrade stream", n(w.hostcalls), "", "<= 6", t("ws-router hostcalls per happy-path stream")]);
  rows.push(["ws-router per request (ns): whole stream in the host / own cost", `${n(w.wholeStreamNs["ws-router"])} / ${n(w.ownCostNs)}`,
    `floor-router (same 3 hostcalls, no logic) ${n(w.wholeStreamNs["floor-router (3 hostcalls, no logic)"])}`, "<= 2 us",
    `${t("ws-router per request, whole stream in the host (host marshalling + guest)")} / ${t("ws-router per request, own cost (minus floor-router)")}`]);
}
if (x.bodyChunk) {
  const b = x.bodyChunk.nsPerChunk;
  for (const f of ["conn-accounting", "drain-signal"]) for (const d of ["server->client", "client->server"])
    rows.push([`${f} per 1 KiB chunk ${d} (ns)`, n(b[`${f} ${d}`]), `floor no-op ${n(b[`floor ${d}`])} (${fmt(b[`${f} ${d}`] / b[`floor ${d}`])}x)`, "<= 1.5x floor", t(`${f} ${d} body chunk / floor no-op`)]);
}
type Reading = { bytesPerWebsocket: number | null };
if (x.perWebsocket) for (const [f, v] of Object.entries(x.perWebsocket as Record<string, Reading | { state: Reading; betweenCollections: Reading }>)) {
  if ("state" in v) {
    rows.push([`${f} state per open websocket, collection at every callback exit (B)`, n(v.state.bytesPerWebsocket), "", "<= 128",
      t(`${f} state per open websocket (collection at every callback exit)`)]);
    rows.push([`${f} footprint per open websocket between collections, default schedule (B)`, n(v.betweenCollections.bytesPerWebsocket),
      "state + garbage not yet collected", "", ""]);
  } else {
    // Results files before the state-only build: one figure, garbage included.
    rows.push([`${f} linear memory per open websocket, garbage included (B)`, n(v.bytesPerWebsocket), "", "<= 128", t(`${f} linear memory per open websocket`)]);
  }
}
if (x.websocketLifecycles) for (const [f, v] of Object.entries(x.websocketLifecycles as Record<string, { after: number; afterWarmup: number }>))
  rows.push([`${f} memory growth over websocket lifecycles (B)`, n(v.after - v.afterWarmup), "", "0", t(`${f} linear memory growth over websocket lifecycles`)]);
if (x.gateway) {
  const g = x.gateway;
  rows.push([`gateway RSS per websocket, ${fmt(g.connections)} open (KiB)`, n(g.rss_per_connection_kb), "", "", ""]);
  rows.push(["echo round trip p50 / p99 (ms)", `${n(g.rtt_ms.gateway.p50)} / ${n(g.rtt_ms.gateway.p99)}`,
    `direct to backend ${n(g.rtt_ms.direct.p50)} / ${n(g.rtt_ms.direct.p99)} (${g.rtt_ms.ratio.p50}x / ${g.rtt_ms.ratio.p99}x)`, "", ""]);
}
if (x.drain?.runs) {
  const d = x.drain;
  for (const run of d.runs) for (const [kind, k] of Object.entries(run.kinds as Record<string, any>)) {
    rows.push([`drain (${run.mode}, ${kind}): reconnects per second peak / even spread, ${fmt(d.clients)} official clients, ${d.window_ms} ms window`,
      `${k.reconnects_per_second.peak} / ${k.even_spread_per_second} (${k.reconnects_per_second.over_even}x)`,
      `offline p50 / max ${k.offline_ms?.p50} / ${k.offline_ms?.max} ms; signal to old closed p99 ${k.signal_to_old_closed_ms?.p99} ms; clients logging errors ${k.clients_with_errors}`,
      "<= 1.5x", k.reconnects_per_second.over_even <= 1.5 ? "met" : "**missed**"]);
  }
}
if (x.hotRestart) {
  const h = x.hotRestart;
  rows.push([`hot restart: reconnects per second, ${fmt(h.clients)} clients, ${h.window_ms} ms window, peak / mean`, `${h.peak_per_second} / ${h.mean_per_second}`,
    `eager and make-before-break clients ${h.signal_driven.peak_per_second} / ${h.signal_driven.mean_per_second}; even spread ${h.even_spread_per_second}; per second ${h.reconnects_per_second.join(", ")}`, "", ""]);
  rows.push(["hot restart: connect errors / time to move all clients (ms)", `${h.connect_errors} / ${fmt(h.move_all_ms)}`, `${fmt(h.steady_upgrades_ok)} new upgrades during the restart`, "0 errors", t("hot restart connect errors")]);
  rows.push(["hot restart: RSS parent / child / both at peak over the overlap (KiB)", `${fmt(h.rss_kb.parent_peak)} / ${fmt(h.rss_kb.child_peak)} / ${fmt(h.rss_kb.both_peak)}`, `parent before ${fmt(h.rss_kb.parent_before)}`, "", ""]);
}
const m = r.machine;
console.log(`Run ${r.started} on ${m.cpus} cpus (${m.cpuModel}), node ${m.node}; times are CPU ns in envoy-test/host, medians of ${r.rounds} rounds (\`${file}\`).\n`);
console.log("| Figure | Ours | Compared with | Target | |\n|---|---:|---|---|---|");
for (const row of rows) console.log(`| ${row.join(" | ")} |`);
