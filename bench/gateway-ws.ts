// N concurrent websockets through the local gateway running the default topology (all three
// filters), side by side with the same backends reached directly, in one run:
//   - RSS of the gateway process per open websocket (VmRSS after - before, / N)
//   - echo round-trip p50/p99 through the gateway and direct, and their ratio
// The gateway and the backends run in their own processes (so RSS is the gateway's alone and
// each process stays under the fd limit); this process holds the clients.
// Usage: npx tsx bench/gateway-ws.ts [connections=10000] [samples=2000]
// Each websocket costs the proxy two descriptors (client side, backend side), as in Envoy: 10,000
// need a nofile limit above 20,000 for the gateway process (this machine's hard limit is 20,000,
// so it measures as many as the limit allows and says so).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { buildFilters } from "../envoy-test/build.ts";
import { defaultTopology, SERVICES, writeConfig } from "../envoy-test/config/index.ts";
import { child, freePort, nofileHard, pct, rssKb } from "./procs.ts";

// Two descriptors per websocket in the gateway, plus a margin for listeners, admin, callouts.
const FD_CAP = Math.floor((nofileHard() - 400) / 2);
const ASKED = Number(process.argv[2] ?? 10_000);
const N = Math.min(ASKED, FD_CAP);
const SAMPLES = Number(process.argv[3] ?? 2000);
const DIRECT = 100;
if (N < ASKED) console.error(`gateway-ws: ${ASKED} websockets need ${2 * ASKED + 400} descriptors in the gateway; this process's hard nofile limit is ${nofileHard()} (raising it is not permitted here): measuring ${N}`);

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once("message", () => resolve(ws)); // the hello
    ws.once("error", reject);
  });
}

async function openMany(urls: string[], concurrency = 200): Promise<WebSocket[]> {
  const out: WebSocket[] = new Array(urls.length);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < urls.length) { const i = next++; out[i] = await open(urls[i]); }
  }));
  return out;
}

async function rtt(ws: WebSocket, text: string): Promise<number> {
  const want = JSON.stringify({ type: "echo", data: text });
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const on = (m: WebSocket.RawData): void => {
      if (m.toString() !== want) return;
      ws.off("message", on);
      resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    };
    ws.on("message", on);
    ws.send(text);
  });
}

async function main(): Promise<void> {
  if (!process.env.BENCH_BUILT) await buildFilters(["ws-router", "conn-accounting", "drain-signal"]);   // npm run bench built them
  const dir = mkdtempSync(join(tmpdir(), "bench-gw-"));
  const backends = child(["envoy-test/backends/serve.ts"], { BACKENDS_PORT_BASE: "0" });
  const endpoints = JSON.parse(await backends.firstLine) as Record<string, { address: string; port: number }[]>;
  const [pub, op, admin] = [await freePort(), await freePort(), await freePort()];
  const config = join(dir, "envoy.yaml");
  await writeConfig(config, defaultTopology({
    backendPorts: Object.fromEntries(SERVICES.map((s) => [s, endpoints[s].map((e) => e.port)])),
    listen: { host: "127.0.0.1", port: pub }, operator: { host: "127.0.0.1", port: op }, admin: { host: "127.0.0.1", port: admin },
  }));
  const gateway = child(["envoy-test/cli.ts", "gateway", "--config", config]);
  await gateway.firstLine;
  const pid = gateway.proc.pid!;
  try {
    const rss0 = rssKb(pid);
    const t0 = Date.now();
    const urls = Array.from({ length: N }, (_, i) => `ws://127.0.0.1:${pub}/${SERVICES[i % 3]}`);
    const viaGateway = await openMany(urls);
    const openSecs = (Date.now() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 1000));
    const rss1 = rssKb(pid);
    const direct = await openMany(Array.from({ length: DIRECT }, (_, i) => {
      const e = endpoints[SERVICES[i % 3]][i % 2];
      return `ws://${e.address}:${e.port}/`;
    }));
    const g: number[] = []; const d: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      // Interleaved so both paths see the same machine load.
      g.push(await rtt(viaGateway[(i * 7919) % N], `g${i}`));
      d.push(await rtt(direct[i % DIRECT], `d${i}`));
    }
    const stats = await (await fetch(`http://127.0.0.1:${admin}/stats?filter=^wasmcustom\\.wss\\..*cx_active$`)).text();
    console.log("RESULT " + JSON.stringify({
      connections: N, connections_asked: ASKED, nofile_hard_limit: nofileHard(), open_seconds: openSecs,
      gateway_rss_mb: { before: +(rss0 / 1024).toFixed(1), after: +(rss1 / 1024).toFixed(1) },
      rss_per_connection_kb: +((rss1 - rss0) / N).toFixed(2),
      rtt_ms: {
        gateway: { p50: +pct(g, 50).toFixed(3), p99: +pct(g, 99).toFixed(3) },
        direct: { p50: +pct(d, 50).toFixed(3), p99: +pct(d, 99).toFixed(3) },
        ratio: { p50: +(pct(g, 50) / pct(d, 50)).toFixed(2), p99: +(pct(g, 99) / pct(d, 99)).toFixed(2) },
      },
      samples: SAMPLES,
      filter_gauges: stats.trim().split("\n"),
    }));
    for (const ws of [...viaGateway, ...direct]) ws.terminate();
  } finally {
    gateway.proc.kill("SIGINT");
    backends.proc.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => { console.error(e.message); process.exit(1); });
