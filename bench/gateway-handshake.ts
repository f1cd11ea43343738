// Websocket handshakes per second through the local gateway, side by side with the same backends
// reached directly, in one run. Open loop: a new upgrade starts every 1/rate seconds whatever the
// earlier ones are doing (a closed loop would hide queueing), and every websocket stays open until
// its phase ends, as a reconnect storm after a drain leaves them. Latency = time from starting the
// TCP connect to the 101's headers.
//   plain:   listener -> HCM -> router, no Wasm filter (the gateway's own cost)
//   filters: the default topology (conn-accounting tcp, ws-router, conn-accounting, drain-signal)
// Usage: npx tsx bench/gateway-handshake.ts [rates=125,250,500] [seconds=4] [mode=plain,filters]
// GATEWAY_BACKLOG=N sets the plain listener's tcp_backlog_size (default: Envoy's, somaxconn).
// GATEWAY_CPU_PROF=DIR writes the gateway process's CPU profile (node --cpu-prof) into DIR.
// The gateway and the backends run in their own processes; this process holds the clients.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { buildFilters } from "../envoy-test/build.ts";
import { defaultTopology, SERVICES, writeConfig } from "../envoy-test/config/index.ts";
import { child, freePort, pct } from "./procs.ts";

/** CPU milliseconds (user + system) a process has used so far (/proc/<pid>/stat fields 14, 15). */
const cpuMs = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // USER_HZ is 100 on Linux
};

// A rate "maxN" is a closed loop instead: N upgrades in flight at all times for the phase (the
// saturation rate: upgrades/s is what the path sustains, latency is then mostly queueing).
// A rate "burstN" starts N upgrades at once while the serving process is stopped (SIGSTOP) for a
// second, as a GC pause or a starved CPU stops it: what the listen backlog holds is accepted when
// it runs again, what overflowed waits for the client's SYN retransmission (1 s, then 3 s).
const RATES = (process.argv[2] ?? "125,250,500,max64,burst1500").split(",");
const SECONDS = Number(process.argv[3] ?? 4);
const MODES = (process.argv[4] ?? "plain,filters").split(",");
const TIMEOUT_MS = 20_000;

type Endpoints = Record<string, { address: string; port: number }[]>;

function plainBootstrap(endpoints: Endpoints, pub: number, admin: number): object {
  const addr = (address: string, port: number) => ({ socket_address: { address, port_value: port } });
  return {
    admin: { address: addr("127.0.0.1", admin) },
    static_resources: {
      listeners: [{
        name: "public", address: addr("127.0.0.1", pub),
        ...(process.env.GATEWAY_BACKLOG ? { tcp_backlog_size: Number(process.env.GATEWAY_BACKLOG) } : {}),
        filter_chains: [{ filters: [{
          name: "envoy.filters.network.http_connection_manager",
          typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
            stat_prefix: "public", upgrade_configs: [{ upgrade_type: "websocket" }],
            route_config: { virtual_hosts: [{ name: "all", domains: ["*"],
              routes: SERVICES.map((s) => ({ match: { prefix: `/${s}` }, route: { cluster: s } })) }] },
            http_filters: [{ name: "envoy.filters.http.router" }],
          },
        }] }],
      }],
      clusters: SERVICES.map((s) => ({
        name: s, type: "STATIC", connect_timeout: "1s",
        load_assignment: { cluster_name: s, endpoints: [{ lb_endpoints: endpoints[s].map((e) => ({ endpoint: { address: addr(e.address, e.port) } })) }] },
      })),
    },
  };
}

/** Starts one upgrade; resolves with ms to the 101 headers (or rejects), keeps the socket. */
function upgrade(url: string, keep: WebSocket[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: TIMEOUT_MS });
    keep.push(ws);
    ws.once("upgrade", () => resolve(Number(process.hrtime.bigint() - t0) / 1e6));
    ws.once("unexpected-response", (_q, r) => reject(new Error(`status ${r.statusCode}`)));
    ws.once("error", reject);
  });
}

async function phase(urls: (i: number) => string, rate: string, pids: { gateway: number; backends: number }, serving: number): Promise<Record<string, number | string>> {
  const cpu0 = { gateway: cpuMs(pids.gateway), backends: cpuMs(pids.backends) };
  const keep: WebSocket[] = [];
  const lat: number[] = [];
  let failed = 0;
  const t0 = performance.now();
  const one = (i: number): Promise<void> => upgrade(urls(i), keep).then((ms) => { lat.push(ms); }, () => { failed++; });
  if (rate.startsWith("burst")) {
    const n = Number(rate.slice(5) || 1500);
    process.kill(serving, "SIGSTOP");
    const all = Array.from({ length: n }, (_, i) => one(i));
    await new Promise((r) => setTimeout(r, 1000));
    process.kill(serving, "SIGCONT");
    await Promise.all(all);
  } else if (rate.startsWith("max")) {
    const inFlight = Number(rate.slice(3) || 64);
    let i = 0;
    const end = t0 + SECONDS * 1000;
    await Promise.all(Array.from({ length: inFlight }, async () => { while (performance.now() < end) await one(i++); }));
  } else {
    const perS = Number(rate);
    if (!(perS > 0)) throw new Error(`gateway-handshake: rate "${rate}" is neither a positive number nor maxN`);
    const started: Promise<void>[] = [];
    for (let i = 0; i < Math.round(perS * SECONDS); i++) {
      const wait = t0 + (i * 1000) / perS - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      started.push(one(i));
    }
    await Promise.all(started);
  }
  const secs = (performance.now() - t0) / 1000;
  // CPU each process spent per upgrade while the phase ran (the gateway's is the figure that sets
  // its saturation rate: about 1000 / gateway_cpu_ms_per_upgrade upgrades/s on one core).
  const cpu = { gateway: cpuMs(pids.gateway) - cpu0.gateway, backends: cpuMs(pids.backends) - cpu0.backends };
  for (const ws of keep) ws.terminate();
  await new Promise((r) => setTimeout(r, 500)); // let both processes reap the sockets
  return {
    offered: rate, upgrades: lat.length, failed, upgrades_per_s: +(lat.length / secs).toFixed(1),
    p50_ms: +pct(lat, 50).toFixed(2), p99_ms: +pct(lat, 99).toFixed(2), max_ms: +pct(lat, 100).toFixed(2),
    gateway_cpu_ms_per_upgrade: +(cpu.gateway / Math.max(1, lat.length)).toFixed(3),
    backends_cpu_ms_per_upgrade: +(cpu.backends / Math.max(1, lat.length)).toFixed(3),
  };
}

async function main(): Promise<void> {
  if (MODES.includes("filters") && !process.env.BENCH_BUILT) await buildFilters(["ws-router", "conn-accounting", "drain-signal"]);
  const dir = mkdtempSync(join(tmpdir(), "bench-hs-"));
  const backends = child(["envoy-test/backends/serve.ts"], { BACKENDS_PORT_BASE: "0" });
  const endpoints = JSON.parse(await backends.firstLine) as Endpoints;
  const results: Record<string, unknown>[] = [];
  try {
    const direct = (i: number): string => { const e = endpoints[SERVICES[i % 3]][(i >> 1) % 2]; return `ws://${e.address}:${e.port}/${SERVICES[i % 3]}`; };
    for (const mode of MODES) {
      const [pub, op, admin] = [await freePort(), await freePort(), await freePort()];
      const config = join(dir, `${mode}.yaml`);
      if (mode === "plain") writeFileSync(config, JSON.stringify(plainBootstrap(endpoints, pub, admin)));
      else if (mode === "filters") {
        await writeConfig(config, defaultTopology({
          backendPorts: Object.fromEntries(SERVICES.map((s) => [s, endpoints[s].map((e) => e.port)])),
          listen: { host: "127.0.0.1", port: pub }, operator: { host: "127.0.0.1", port: op }, admin: { host: "127.0.0.1", port: admin },
        }));
      } else throw new Error(`gateway-handshake: unknown mode "${mode}" (plain or filters)`);
      const prof = process.env.GATEWAY_CPU_PROF;
      const gateway = child([...(prof ? ["--cpu-prof", `--cpu-prof-dir=${prof}`] : []), "envoy-test/cli.ts", "gateway", "--config", config]);
      await gateway.firstLine;
      try {
        const via = (i: number): string => `ws://127.0.0.1:${pub}/${SERVICES[i % 3]}`;
        for (const rate of RATES) {
          // Interleaved per rate so both paths see the same machine load.
          const pids = { gateway: gateway.proc.pid!, backends: backends.proc.pid! };
          results.push({ mode, path: "gateway", ...(await phase(via, rate, pids, pids.gateway)) });
          results.push({ mode, path: "direct", ...(await phase(direct, rate, pids, pids.backends)) });
          console.error(JSON.stringify(results.slice(-2)));
        }
      } finally {
        gateway.proc.kill("SIGINT");
      }
    }
    console.log("RESULT " + JSON.stringify({ seconds_per_phase: SECONDS, results }));
  } finally {
    backends.proc.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => { console.error(e.message); process.exit(1); });
