// Drain with the official Slack clients: N websockets (half @slack/rtm-api RTMClient on /messages,
// half @slack/socket-mode SocketModeClient on /apps, default settings) on an old gateway, a drain
// started on its operator listener, every client reconnecting by itself to a new gateway (the
// loopback Slack Web API hands out the new one). Run twice: clients that connected together (their
// keepalive pings, and so the server frames the filter can signal on, in step) and clients whose
// connect times are spread over two RTM ping periods.
// Figures per client kind: signal -> old websocket closed, signal -> new websocket ready, the
// longest time without a websocket (old closed -> new ready), reconnects per second over the
// window (peak / mean), errors and warnings the libraries logged, and the filter's grace and
// deadline counters. The per-second series feed bench/drain-chart.ts.
// A third mode, goodbye-only (not run by npm run bench), repeats "together" with slack-rtm's
// close_at_signal false: the goodbye alone, the Close after the grace, to show what the default
// (goodbye and Close together) saves an RTM client.
// Usage: npx tsx bench/drain.ts [clients=1000] [window_ms=10000] [modes=together,spread[,goodbye-only]]
// Processes: backends (their own 20 s ping), old gateway, new gateway, and this one holding the
// clients and the Web API.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSlackWebApi } from "../envoy-test/backends/slack-web-api.ts";
import { buildFilters } from "../envoy-test/build.ts";
import { defaultDrainSignalConfig, defaultTopology, DEV_DRAIN_TOKEN, SERVICES, writeConfig } from "../envoy-test/config/index.ts";
import { moveOf, rtmClient, socketModeClient, waitFor, type Kind, type SlackClient } from "./support/slack-clients.ts";
import { child, freePort, pct } from "./procs.ts";

const N = Number(process.argv[2] ?? 1000);
const WINDOW = Number(process.argv[3] ?? 10000);
const MODES = (process.argv[4] ?? "together,spread").split(",") as Mode[];
const GRACE = 5000, DEADLINE = WINDOW + 10000;
/** RTMClient pings every 6 s (KeepAlive clientPingTimeout): spread connects over two periods. */
const SPREAD_MS = 12000;
type Mode = "together" | "spread" | "goodbye-only";

interface Gw { stop: () => void; pub: number; op: number; admin: number }

async function gateway(dir: string, name: string, endpoints: Record<string, { port: number }[]>, goodbyeOnly = false): Promise<Gw> {
  const [pub, op, admin] = [await freePort(), await freePort(), await freePort()];
  const config = join(dir, `${name}.yaml`);
  await writeConfig(config, defaultTopology({
    backendPorts: Object.fromEntries(SERVICES.map((s) => [s, endpoints[s].map((e) => e.port)])),
    listen: { host: "127.0.0.1", port: pub }, operator: { host: "127.0.0.1", port: op }, admin: { host: "127.0.0.1", port: admin },
    drain: { windowMs: WINDOW, graceMs: GRACE, deadlineMs: DEADLINE }, idleTimeout: "3600s",
    ...(goodbyeOnly ? { drainSignalConfig: { ...(defaultDrainSignalConfig({ windowMs: WINDOW, graceMs: GRACE, deadlineMs: DEADLINE }) as object),
      services: [{ name: "messages", dialect: "slack-rtm", close_at_signal: false }, { name: "presence", dialect: "slack-rtm", close_at_signal: false }, { name: "apps", dialect: "socket-mode" }] } } : {}),
  }));
  const g = child(["envoy-test/cli.ts", "gateway", "--config", config]);
  await g.firstLine;
  return { stop: () => g.proc.kill("SIGINT"), pub, op, admin };
}

const ms = (v: number[]) => v.length === 0 ? null : { p50: Math.round(pct(v, 50)), p99: Math.round(pct(v, 99)), max: Math.round(Math.max(...v)) };

/** Events per second from `from`: peak / mean over the seconds from the first event to the last
 *  (`ratio`), and peak / the even spread over the window, count / window (`over_even`). */
function perSecond(times: number[], from: number): { bins: number[]; peak: number; mean: number; ratio: number; over_even: number } {
  if (times.length === 0) return { bins: [], peak: 0, mean: 0, ratio: 0, over_even: 0 };
  const rel = times.map((t) => (t - from) / 1000);
  const bins = new Array(Math.max(1, Math.floor(Math.max(...rel)) + 1)).fill(0);
  for (const r of rel) bins[Math.max(0, Math.floor(r))]++;
  const first = Math.max(0, Math.floor(Math.min(...rel)));
  const span = bins.slice(first);
  const peak = Math.max(...span);
  const mean = span.reduce((a, b) => a + b, 0) / span.length;
  return { bins, peak, mean: +mean.toFixed(1), ratio: +(peak / mean).toFixed(2), over_even: +(peak / (times.length / (WINDOW / 1000))).toFixed(2) };
}

async function drainStat(g: Gw, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${g.admin}/stats?filter=wss\\.drain\\.${name}$`)).text();
  return Number(/: (\d+)/.exec(text)?.[1] ?? NaN);
}

async function run(mode: Mode, dir: string, endpoints: Record<string, { port: number }[]>): Promise<Record<string, unknown>> {
  const oldGw = await gateway(dir, `old-${mode}`, endpoints, mode === "goodbye-only");
  const newGw = await gateway(dir, `new-${mode}`, endpoints);
  let target = oldGw;
  const api = await startSlackWebApi((method, token) => method === "rtm.connect"
    ? `ws://127.0.0.1:${target.pub}/messages` : `ws://127.0.0.1:${target.pub}/apps?app_id=A${token.replace(/\D/g, "")}`);
  const clients: SlackClient[] = [];
  for (let i = 0; i < N; i++) clients.push(i % 2 === 0 ? rtmClient(i, api.url) : socketModeClient(i, api.url));
  try {
    const tc = Date.now();
    if (mode !== "spread") {
      for (let i = 0; i < N; i += 250) await Promise.all(clients.slice(i, i + 250).map((c) => c.start()));
    } else {
      await Promise.all(clients.map((c, i) => new Promise((r) => setTimeout(r, (i * SPREAD_MS) / N)).then(() => c.start())));
    }
    const connectMs = Date.now() - tc;
    await new Promise((r) => setTimeout(r, 8000));   // steady state: keepalives running
    target = newGw;
    const r = await fetch(`http://127.0.0.1:${oldGw.op}/drain-signal/start`, { method: "POST", headers: { "x-drain-token": DEV_DRAIN_TOKEN } });
    const body = await r.text();
    if (r.status !== 200) throw new Error(`drain start: ${r.status} ${body}`);
    const t0 = (JSON.parse(body) as { drain: { started_at_ms: number } }).drain.started_at_ms;
    const moved = (c: SlackClient) => c.rec.connections.length >= 2 && c.current() !== null && c.current()!.readyAt >= t0;
    await waitFor("every client to move", () => clients.every(moved), DEADLINE + 10000).catch((e: Error) => console.error(e.message));
    const [graceClose, forcedClose] = [await drainStat(oldGw, "grace_close"), await drainStat(oldGw, "forced_close")];

    const byKind: Record<string, unknown> = {};
    for (const kind of ["rtm", "socket-mode"] as Kind[]) {
      const recs = clients.filter((c) => c.rec.kind === kind).map((c) => c.rec);
      const moves = recs.map((r) => moveOf(r, t0)).filter((m) => m !== null);
      const done = moves.filter((m) => m.newReadyAt > 0 && m.oldClosedAt > 0);
      const signalled = done.filter((m) => m.signalAt > 0);
      const codes: Record<string, number> = {};
      for (const m of moves) codes[m.oldCloseCode] = (codes[m.oldCloseCode] ?? 0) + 1;
      const rate = perSecond(done.map((m) => m.newReadyAt), t0);
      byKind[kind] = {
        clients: recs.length, moved: done.length, old_close_codes: codes,
        signal_to_old_closed_ms: ms(signalled.map((m) => m.oldClosedAt - m.signalAt)),
        signal_to_new_ready_ms: ms(signalled.map((m) => m.newReadyAt - m.signalAt)),
        offline_ms: ms(done.map((m) => m.newReadyAt - m.oldClosedAt)),
        signals_per_second: perSecond(signalled.map((m) => m.signalAt), t0),
        reconnects_per_second: rate,
        even_spread_per_second: +(recs.length / (WINDOW / 1000)).toFixed(1),
        clients_with_errors: recs.filter((x) => x.errors.length > 0).length,
        errors_sample: recs.flatMap((x) => x.errors).slice(0, 3),
        // When the errors came, from the old websocket's signal and close (what they coincide with).
        errors_after_signal_ms: ms(recs.flatMap((x) => { const m = moveOf(x, t0); return m && m.signalAt ? x.errorsAt.map((t) => t - m.signalAt) : []; })),
        errors_after_old_close_ms: ms(recs.flatMap((x) => { const m = moveOf(x, t0); return m && m.oldClosedAt ? x.errorsAt.map((t) => t - m.oldClosedAt) : []; })),
      };
    }
    const all = clients.map((c) => moveOf(c.rec, t0)).filter((m) => m !== null && m.newReadyAt > 0).map((m) => m!.newReadyAt);
    return { mode, connect_ms: connectMs, grace_close: graceClose, forced_close: forcedClose, reconnects_per_second: perSecond(all, t0), kinds: byKind };
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
    await api.close();
    oldGw.stop(); newGw.stop();
  }
}

async function main(): Promise<void> {
  if (!process.env.BENCH_BUILT) await buildFilters(["ws-router", "conn-accounting", "drain-signal"]);
  const dir = mkdtempSync(join(tmpdir(), "bench-drain-"));
  const backends = child(["bench/backends.ts"]);
  try {
    const endpoints = JSON.parse(await backends.firstLine) as Record<string, { address: string; port: number }[]>;
    const runs = [];
    for (const mode of MODES) runs.push(await run(mode, dir, endpoints));
    console.log("RESULT " + JSON.stringify({ clients: N, window_ms: WINDOW, grace_ms: GRACE, deadline_ms: DEADLINE, spread_ms: SPREAD_MS, runs }));
  } finally {
    backends.proc.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e: Error) => { console.error(e.message); process.exit(1); });
