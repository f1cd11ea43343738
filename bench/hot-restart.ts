// A hot restart of the local gateway under its hot restarter with N websockets open and a steady
// stream of new upgrades: the child takes the listen socket and the admin, drain-signal in the
// parent signals every client over its window, each reconnects to the same URL (landing on the
// child), and the parent exits at --parent-shutdown-time-s. Figures: reconnects per second
// (peak / mean), connect errors (refused, reset, 5xx: the target is 0), the time to move every
// client, and the RSS of both gateway processes over the overlap.
// Usage: npx tsx bench/hot-restart.ts [clients=1000] [window_ms=5000]
// Processes: backends (pinging every 250 ms, so every socket sees a server frame soon after its
// moment), the two gateway epochs, and this one (the restarter and the clients).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildFilters } from "../envoy-test/build.ts";
import { HotRestarter } from "../envoy-test/gateway/hot-restart/restarter.ts";
import { DrainClient, UpgradeLoad, flatness, openAll, waitFor, type Behaviour } from "./support/hot-restart-clients.ts";
import { writeTopology } from "./support/hot-restart-topology.ts";
import { child, freePort, pct, rssKb } from "./procs.ts";

const N = Number(process.argv[2] ?? 1000);
const WINDOW = Number(process.argv[3] ?? 5000);
const GRACE = 2000, DEADLINE = WINDOW + 4000, PING_MS = 250;
const DRAIN_TIME_S = Math.ceil(WINDOW / 1000) + 1, PARENT_SHUTDOWN_S = Math.ceil(DEADLINE / 1000) + 2;
const BEHAVIOURS: Behaviour[] = ["eager", "rtm", "socket-mode"];

async function main(): Promise<void> {
  if (!process.env.BENCH_BUILT) await buildFilters(["ws-router", "conn-accounting", "drain-signal"]);
  const dir = mkdtempSync(join(tmpdir(), "bench-hot-restart-"));
  const backends = child(["bench/backends.ts"], { PING_MS: String(PING_MS) });
  const endpoints = JSON.parse(await backends.firstLine) as Record<string, { address: string; port: number }[]>;
  const [listenPort, adminPort] = [await freePort(), await freePort()];
  const configPath = join(dir, "envoy.json");
  writeTopology(configPath, {
    wasmDir: resolve("build"), listenPort, adminPort, endpoints: (s) => endpoints[s], presenceLimit: 100_000,
    drain: { window_ms: WINDOW, grace_ms: GRACE, deadline_ms: DEADLINE, poll_ms: 100 }, statsFlushInterval: "1s",
  });
  const r = new HotRestarter({ configPath, drainTimeS: DRAIN_TIME_S, parentShutdownTimeS: PARENT_SHUTDOWN_S, log: () => {} });
  const parent = await r.restart();
  const url = `ws://127.0.0.1:${listenPort}/messages`;
  const clients = Array.from({ length: N }, (_, i) => new DrainClient(url, url, "messages", BEHAVIOURS[i % BEHAVIOURS.length]));
  const load = new UpgradeLoad(url, 20);
  try {
    await openAll(clients, 100);
    const rssBefore = rssKb(parent.pid);
    load.start();
    const samples: { t: number; parent: number; child: number }[] = [];
    let childPid = 0;
    const t0 = Date.now();
    const sampler = setInterval(() => {
      let p = 0, c = 0;
      try { p = rssKb(parent.pid); } catch { /* exited */ }
      try { if (childPid) c = rssKb(childPid); } catch { /* not yet */ }
      samples.push({ t: Date.now() - t0, parent: p, child: c });
    }, 250);
    const next = await r.restart();
    childPid = next.pid;
    const serving = Date.now();
    await waitFor("every client reconnected", () => clients.every((c) => c.rec.reconnectedAt > 0), DEADLINE + 10_000);
    const moved = Date.now();
    const end = Date.now() + (PARENT_SHUTDOWN_S + 10) * 1000;
    while (r.running.some((e) => e.epoch === 0) && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
    const parentGone = Date.now();
    load.stop();
    await load.settled();
    clearInterval(sampler);
    const reconnects = clients.map((c) => c.rec.reconnectedAt);
    const firstSignal = Math.min(...clients.map((c) => c.rec.signalAt).filter((t) => t > 0));
    const f = flatness(reconnects, firstSignal, 1000);
    // The RTM model reconnects when the server closes the websocket (with the goodbye, or after
    // the grace when close_at_signal is off); the other two act on the signal itself.
    const driven = flatness(clients.filter((c) => c.rec.behaviour !== "rtm").map((c) => c.rec.reconnectedAt), firstSignal, 1000);
    const errors = clients.flatMap((c) => c.rec.errors);
    const overlap = samples.filter((s) => s.parent > 0 && s.child > 0);
    const result = {
      clients: N, window_ms: WINDOW, drain_time_s: DRAIN_TIME_S, parent_shutdown_time_s: PARENT_SHUTDOWN_S, backend_ping_ms: PING_MS,
      child_start_ms: serving - t0,
      reconnects_per_second: f.bins, peak_per_second: f.peak, mean_per_second: Math.round(f.mean), peak_over_mean: Number(f.ratio.toFixed(2)),
      even_spread_per_second: Math.round(N / (WINDOW / 1000)),
      signal_driven: { clients: clients.filter((c) => c.rec.behaviour !== "rtm").length, reconnects_per_second: driven.bins, peak_per_second: driven.peak, mean_per_second: Math.round(driven.mean), peak_over_mean: Number(driven.ratio.toFixed(2)) },
      connect_errors: load.failures.length + errors.length, connect_error_samples: [...load.failures, ...errors].slice(0, 5),
      steady_upgrades_ok: load.ok,
      first_signal_after_child_ms: firstSignal - serving,
      move_all_ms: moved - firstSignal,
      signal_to_reconnect_p50_ms_by_behaviour: Object.fromEntries(BEHAVIOURS.map((b) => [b, pct(clients.filter((c) => c.rec.behaviour === b).map((c) => c.rec.reconnectedAt - c.rec.signalAt), 50)])),
      signal_to_reconnect_ms: { p50: pct(clients.map((c) => c.rec.reconnectedAt - c.rec.signalAt), 50), p99: pct(clients.map((c) => c.rec.reconnectedAt - c.rec.signalAt), 99) },
      parent_exit_after_child_ms: parentGone - serving,
      rss_kb: {
        parent_before: rssBefore,
        parent_peak: Math.max(0, ...overlap.map((s) => s.parent)),
        child_peak: Math.max(0, ...overlap.map((s) => s.child)),
        both_peak: Math.max(0, ...overlap.map((s) => s.parent + s.child)),
        child_after_parent_exit: childPid ? rssKb(childPid) : 0,
      },
    };
    console.log("RESULT " + JSON.stringify(result));
  } finally {
    load.stop();
    for (const c of clients) c.close();
    await r.stop();
    backends.proc.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => { console.error(e.stack ?? e.message); process.exit(1); });
