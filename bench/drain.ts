// Drain through the gateway: N websockets on an old gateway, a drain started on its operator
// listener, each client reconnecting to a new gateway when drain-signal tells it to (Slack RTM
// {"type":"goodbye"}, Socket Mode {"type":"disconnect"}, or a Close). The figure operators care
// about: reconnects per second across the window, peak and mean (evenly spread: mean = N / window).
// Usage: npx tsx bench/drain.ts [clients=1000] [window_ms=5000]
// Processes: backends (pinging every 250 ms, so every socket sees a server frame soon after its
// moment: the filter can only signal at a server frame), old gateway, new gateway, and this one
// holding the clients.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { buildFilters } from "../envoy-test/build.ts";
import { defaultTopology, DEV_DRAIN_TOKEN, SERVICES, writeConfig } from "../envoy-test/config/index.ts";
import { child, freePort, pct } from "./procs.ts";

const N = Number(process.argv[2] ?? 1000);
const WINDOW = Number(process.argv[3] ?? 5000);
const GRACE = 2000, DEADLINE = WINDOW + 4000, PING_MS = 250;

interface Client { signalAt: number | null; how: string | null; reconnectedAt: number | null }

async function gateway(dir: string, name: string, endpoints: Record<string, { port: number }[]>): Promise<{ stop: () => void; pub: number; op: number }> {
  const [pub, op, admin] = [await freePort(), await freePort(), await freePort()];
  const config = join(dir, `${name}.yaml`);
  await writeConfig(config, defaultTopology({
    backendPorts: Object.fromEntries(SERVICES.map((s) => [s, endpoints[s].map((e) => e.port)])),
    listen: { host: "127.0.0.1", port: pub }, operator: { host: "127.0.0.1", port: op }, admin: { host: "127.0.0.1", port: admin },
    drain: { windowMs: WINDOW, graceMs: GRACE, deadlineMs: DEADLINE }, idleTimeout: "3600s",
  }));
  const g = child(["envoy-test/cli.ts", "gateway", "--config", config]);
  await g.firstLine;
  return { stop: () => g.proc.kill("SIGINT"), pub, op };
}

function connect(url: string, onMessage?: (text: string, ws: WebSocket) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once("message", () => resolve(ws));  // the backend's hello
    ws.once("error", reject);
    if (onMessage) ws.on("message", (m) => onMessage(m.toString(), ws));
  });
}

async function main(): Promise<void> {
  if (!process.env.BENCH_BUILT) await buildFilters(["ws-router", "conn-accounting", "drain-signal"]);
  const dir = mkdtempSync(join(tmpdir(), "bench-drain-"));
  const backends = child(["bench/backends.ts"], { PING_MS: String(PING_MS) });
  const endpoints = JSON.parse(await backends.firstLine) as Record<string, { address: string; port: number }[]>;
  const oldGw = await gateway(dir, "old", endpoints);
  const newGw = await gateway(dir, "new", endpoints);
  const clients: Client[] = [];
  const moves: Promise<void>[] = [];
  let t0 = 0;
  try {
    const reconnect = (c: Client, service: string): void => {
      moves.push(connect(`ws://127.0.0.1:${newGw.pub}/${service}`).then((ws) => { c.reconnectedAt = performance.now() - t0; ws.terminate(); },
        () => { /* counted as not reconnected */ }));
    };
    for (let i = 0; i < N; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, N - i) }, async (_, k) => {
        const service = SERVICES[(i + k) % 3];
        const c: Client = { signalAt: null, how: null, reconnectedAt: null };
        clients.push(c);
        const ws = await connect(`ws://127.0.0.1:${oldGw.pub}/${service}`, (text, sock) => {
          if (c.signalAt !== null || !t0) return;
          const type = /"type":"(goodbye|disconnect)"/.exec(text)?.[1];
          if (!type) return;
          c.signalAt = performance.now() - t0; c.how = type;
          sock.close(1000); reconnect(c, service);
        });
        ws.on("close", (code) => {
          if (c.signalAt !== null || !t0) return;
          c.signalAt = performance.now() - t0; c.how = `close ${code}`;
          reconnect(c, service);
        });
      }));
    }
    t0 = performance.now();
    const r = await fetch(`http://127.0.0.1:${oldGw.op}/drain-signal/start`, { method: "POST", headers: { "x-drain-token": DEV_DRAIN_TOKEN } });
    const started = await r.text();
    if (r.status !== 200) throw new Error(`drain start: ${r.status} ${started}`);
    await new Promise((res) => setTimeout(res, DEADLINE + 1500));
    await Promise.allSettled(moves);

    const seconds = Math.ceil(WINDOW / 1000);
    // Per second from the drain start; the last bucket holds everything after the window.
    const buckets = (times: number[]): number[] => {
      const b = new Array(seconds + 1).fill(0);
      for (const t of times) b[Math.min(seconds, Math.floor(t / 1000))]++;
      return b;
    };
    const perSecond = buckets(clients.filter((c) => c.reconnectedAt !== null).map((c) => c.reconnectedAt!));
    const signalsPerSecond = buckets(clients.filter((c) => c.signalAt !== null).map((c) => c.signalAt!));
    const inWindow = perSecond.slice(0, seconds);
    const lag = clients.filter((c) => c.reconnectedAt !== null && c.signalAt !== null).map((c) => c.reconnectedAt! - c.signalAt!);
    const hows: Record<string, number> = {};
    for (const c of clients) hows[c.how ?? "none"] = (hows[c.how ?? "none"] ?? 0) + 1;
    const signalled = clients.filter((c) => c.signalAt !== null).map((c) => c.signalAt!);
    console.log("RESULT " + JSON.stringify({
      clients: N, window_ms: WINDOW, grace_ms: GRACE, deadline_ms: DEADLINE, backend_ping_ms: PING_MS,
      reconnected: clients.filter((c) => c.reconnectedAt !== null).length,
      signals: hows,
      first_signal_ms: Math.round(Math.min(...signalled)), last_signal_ms: Math.round(Math.max(...signalled)),
      reconnects_per_second: perSecond, signals_per_second: signalsPerSecond,
      signal_to_reconnect_ms: { p50: Math.round(pct(lag, 50)), p99: Math.round(pct(lag, 99)) },
      signal_peak_over_mean: +(Math.max(...signalsPerSecond.slice(0, seconds)) / (signalsPerSecond.slice(0, seconds).reduce((a, b) => a + b, 0) / seconds)).toFixed(2),
      peak_per_second: Math.max(...inWindow), mean_per_second: +(inWindow.reduce((a, b) => a + b, 0) / seconds).toFixed(1),
      even_spread_per_second: +(N / (WINDOW / 1000)).toFixed(1),
      peak_over_mean: +(Math.max(...inWindow) / (inWindow.reduce((a, b) => a + b, 0) / seconds)).toFixed(2),
    }));
  } finally {
    oldGw.stop(); newGw.stop();
    backends.proc.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e: Error) => { console.error(e.message); process.exit(1); });
