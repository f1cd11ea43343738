// npm run bench: every benchmark of bench/, one table each with ratios against the peers
// measured in the same run, targets marked met or MISSED, all figures written to
// bench/results/<UTC time>.json.
// Flags: --only=size,http,ws-router,websocket,gateway,drain,hot-restart   --quick (fewer iterations)
//        --connections=10000 (gateway websockets)  --clients=1000 --window-ms=10000 (drain; hot-restart: 5000)
//        --lifecycles=1000000 (leak check)  --open=20000 (websockets held for memory per socket)
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { drainChartSvg, type DrainResult } from "./drain-chart.ts";
import { addHeaderLifecycle } from "./http-stream.ts";
import { fmt, machine, printed, ratio, table, target, type Target } from "./lib.ts";
import { addHeaderModules, buildOurs } from "./peers.ts";
import { sizes } from "./size.ts";
import { bodyChunks, perWebsocket, websocketLifecycles } from "./websocket.ts";
import { wsRouter } from "./ws-router.ts";

const ALL = ["size", "http", "ws-router", "websocket", "gateway", "drain", "hot-restart"];

function flags(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`bench: unknown argument "${a}" (flags: --only=${ALL.join(",")} --quick --connections=N --clients=N --window-ms=N --lifecycles=N --open=N)`);
    out[m[1]] = m[2] ?? "true";
  }
  return out;
}

function num(f: Record<string, string>, name: string, dflt: number): number {
  if (f[name] === undefined) return dflt;
  const v = Number(f[name]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`bench: --${name}=${f[name]} is not a positive integer`);
  return v;
}

/** Runs a gateway benchmark in its own process (it spawns the gateway and backends) and returns
 *  the JSON of its RESULT line, or the reason it failed. */
function runChild(script: string, args: string[]): Promise<{ result: Record<string, any> | null; why?: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["--import", "tsx", script, ...args], { env: { ...process.env, BENCH_BUILT: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "", err = "";
    p.stdout.on("data", (d) => { out += d; });
    p.stderr.on("data", (d) => { err += d; process.stderr.write(d); });
    p.on("exit", (code) => {
      const line = out.split("\n").find((l) => l.startsWith("RESULT "));
      resolve(line ? { result: JSON.parse(line.slice(7)) } : { result: null, why: `${script} exited with ${code}: ${err.trim().split("\n").slice(-2).join(" / ")}` });
    });
  });
}

async function main(): Promise<void> {
  const f = flags(process.argv.slice(2));
  const only = new Set((f.only ?? ALL.join(",")).split(","));
  for (const o of only) if (!ALL.includes(o)) throw new Error(`bench: --only names "${o}"; known: ${ALL.join(", ")}`);
  const quick = f.quick === "true";
  const iterations = quick ? 5000 : 20_000, rounds = quick ? 3 : 7;
  const m = machine();
  const started = new Date();
  console.log(`machine: ${m.cpus} cpus (${m.cpuModel}), ${m.memoryGiB} GiB, node ${m.node}, ${m.platform}; shared with other work, so times are CPU time of this process, medians of ${rounds} rounds after a warm-up`);
  const buildError = await buildOurs();
  const results: Record<string, unknown> = {};
  const targets: Target[] = [];
  const keep = (name: string, r: { results: Record<string, unknown>; targets: Target[] }): void => { results[name] = r.results; targets.push(...r.targets); };

  const mods = only.has("size") || only.has("http") ? await addHeaderModules() : [];
  if (only.has("size")) { const s = sizes(mods); results.size = { addHeader: s.addHeader, filters: s.filters }; targets.push(...s.targets); }
  if (only.has("http")) keep("addHeader", await addHeaderLifecycle(mods, { iterations, rounds, leakLifecycles: num(f, "lifecycles", quick ? 100_000 : 1_000_000) }));
  if (only.has("ws-router")) keep("wsRouter", await wsRouter({ iterations, rounds }));
  if (only.has("websocket")) {
    keep("bodyChunk", await bodyChunks({ iterations, rounds }));
    keep("perWebsocket", await perWebsocket(num(f, "open", 20_000)));
    keep("websocketLifecycles", await websocketLifecycles(quick ? 20_000 : 200_000));
  }
  if (only.has("gateway")) {
    const { result: g, why } = await runChild("bench/gateway-ws.ts", [String(num(f, "connections", 10_000)), String(quick ? 500 : 2000)]);
    if (!g) console.log(`gateway benchmark failed: ${why}`);
    else {
      table(`Gateway, ${fmt(g.connections)} concurrent websockets through all three filters (asked ${fmt(g.connections_asked)}; nofile hard limit ${fmt(g.nofile_hard_limit)})`,
        ["figure", "gateway", "direct to backend", "gateway / direct"], [
          ["gateway RSS per websocket (KiB)", g.rss_per_connection_kb, null, null],
          [`echo round trip p50 (ms, ${fmt(g.samples)} samples)`, g.rtt_ms.gateway.p50, g.rtt_ms.direct.p50, g.rtt_ms.ratio.p50],
          ["echo round trip p99 (ms)", g.rtt_ms.gateway.p99, g.rtt_ms.direct.p99, g.rtt_ms.ratio.p99],
        ]);
      results.gateway = g;
    }
  }
  if (only.has("drain")) {
    const { result: d, why } = await runChild("bench/drain.ts", [String(num(f, "clients", 1000)), String(num(f, "window-ms", 10000))]);
    if (!d) console.log(`drain benchmark failed: ${why}`);
    else {
      type Ms = { p50: number; p99: number; max: number } | null;
      type K = { clients: number; moved: number; old_close_codes: Record<string, number>; signal_to_old_closed_ms: Ms; signal_to_new_ready_ms: Ms; offline_ms: Ms;
        reconnects_per_second: { peak: number; mean: number; ratio: number; over_even: number }; even_spread_per_second: number; clients_with_errors: number; errors_sample: string[] };
      const q = (x: Ms) => (x ? `${x.p50} / ${x.p99} / ${x.max}` : "-");
      const rows: (string | number)[][] = [];
      for (const run of d.runs as { mode: string; grace_close: number; forced_close: number; kinds: Record<string, K> }[]) {
        for (const [kind, k] of Object.entries(run.kinds)) {
          rows.push([`${run.mode}: ${kind}`, `${k.moved} of ${k.clients}`, Object.entries(k.old_close_codes).map(([c, n]) => `${c}: ${n}`).join(", "),
            q(k.signal_to_old_closed_ms), q(k.signal_to_new_ready_ms), q(k.offline_ms),
            `${k.reconnects_per_second.peak} / ${k.even_spread_per_second} = ${k.reconnects_per_second.over_even}`, k.clients_with_errors]);
        }
        rows.push([`${run.mode}: filter`, "", `grace Close ${run.grace_close}, deadline resets ${run.forced_close}`, "", "", "", "", ""]);
      }
      table(`Drain with the official Slack clients: ${fmt(d.clients)} websockets (half RTMClient, half SocketModeClient) moved to a new gateway over a ${d.window_ms} ms window`,
        ["run: client", "moved", "old websocket close codes", "signal -> old closed p50 / p99 / max (ms)", "signal -> new ready (ms)", "offline (ms)",
          "reconnects/s peak / even spread", "clients logging errors"], rows);
      writeFileSync("bench/drain-reconnects.svg", drainChartSvg(d as unknown as DrainResult));
      console.log("chart: bench/drain-reconnects.svg");
      results.drain = d;
    }
  }

  if (only.has("hot-restart")) {
    const { result: h, why } = await runChild("bench/hot-restart.ts", [String(num(f, "clients", 1000)), String(num(f, "window-ms", 5000))]);
    if (!h) console.log(`hot-restart benchmark failed: ${why}`);
    else {
      table(`Hot restart: ${fmt(h.clients)} websockets on one port moved from the parent to the child (drain-signal window ${h.window_ms} ms, --drain-time-s ${h.drain_time_s}, --parent-shutdown-time-s ${h.parent_shutdown_time_s}, 50 new upgrades/s throughout)`,
        ["figure", "value"], [
          ["reconnects per second, each second from the first signal", (h.reconnects_per_second as number[]).join(" / ")],
          ["reconnects: peak / mean per second (all clients)", `${h.peak_per_second} / ${h.mean_per_second}`],
          [`reconnects: peak / mean per second (the ${h.signal_driven.clients} eager and make-before-break clients)`, `${h.signal_driven.peak_per_second} / ${h.signal_driven.mean_per_second}`],
          ["even spread (clients / window)", h.even_spread_per_second],
          ["connect errors (refused, reset, 5xx) over the restart; target 0", h.connect_errors],
          ["steady upgrades answered during the restart", h.steady_upgrades_ok],
          ["time to move all clients, first signal to last reconnect (ms)", h.move_all_ms],
          ["signal to reconnected, p50 / p99 (ms)", `${h.signal_to_reconnect_ms.p50} / ${h.signal_to_reconnect_ms.p99}`],
          ["child serving to first signal (ms)", h.first_signal_after_child_ms],
          ["parent exit after the child started serving (ms)", h.parent_exit_after_child_ms],
          ["RSS parent before / peak during the overlap (KiB)", `${fmt(h.rss_kb.parent_before)} / ${fmt(h.rss_kb.parent_peak)}`],
          ["RSS child peak during the overlap / after the parent exited (KiB)", `${fmt(h.rss_kb.child_peak)} / ${fmt(h.rss_kb.child_after_parent_exit)}`],
          ["RSS both processes, peak sum over the overlap (KiB)", fmt(h.rss_kb.both_peak)],
        ]);
      results.hotRestart = h;
      targets.push(target("hot restart connect errors", h.connect_errors, 0, "errors"));
    }
  }

  const missed = targets.filter((t) => t.met === false);
  console.log(`\ntargets: ${targets.filter((t) => t.met).length} met, ${missed.length} missed${missed.length ? ": " + missed.map((t) => t.what).join("; ") : ""}`);
  mkdirSync("bench/results", { recursive: true });
  const file = `bench/results/${started.toISOString().replace(/[:.]/g, "-")}.json`;
  writeFileSync(file, JSON.stringify({ started: started.toISOString(), machine: m, buildError, quick, iterations, rounds, results, targets, tables: printed }, null, 1) + "\n");
  console.log(`figures written to ${file}`);
}

main().catch((e: Error) => { console.error(e.message); process.exit(1); });
