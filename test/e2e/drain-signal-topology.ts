// The drain-signal e2e topology: an Envoy bootstrap for the local gateway with ws-router and
// drain-signal on a public listener (and, optionally, drain-signal's operator route on an
// internal listener), a static cluster pointing at the gateway's own admin for the drain poll,
// and demo backends. Two gateways with this config play the old and the new Envoy process.
import { existsSync, readdirSync, statSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { buildFilters } from "../../envoy-test/build.ts";
import { wasmFilterEntry } from "../../envoy-test/config/index.ts";

export const TOKEN = "e2e-drain-token-0123456789";
export const SERVICES = ["messages", "apps", "quiet"];

const address = (a: string, p: number) => ({ socket_address: { address: a, port_value: p } });

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function newestSource(dirs: string[]): number {
  let t = 0;
  for (const d of dirs) {
    if (!existsSync(d)) continue;
    for (const f of readdirSync(d)) if (f.endsWith(".ts")) t = Math.max(t, statSync(join(d, f)).mtimeMs);
  }
  return t;
}

/** Builds the two modules when missing or older than their sources. */
export async function buildModules(): Promise<{ router: string; drain: string }> {
  const sdk = ["sdk", "sdk/websocket", "sdk/runtime"];
  for (const name of ["ws-router", "drain-signal"]) {
    const out = `build/${name}.wasm`;
    if (!existsSync(out) || statSync(out).mtimeMs < newestSource([`filters/${name}`, ...sdk])) await buildFilters([name]);
  }
  return { router: "build/ws-router.wasm", drain: "build/drain-signal.wasm" };
}

const ROUTER_CONFIG = JSON.stringify({
  services: SERVICES.map((name) => ({ name, cluster: name })),
  routes: SERVICES.map((name) => ({ prefix: `/${name}`, service: name })),
});

const wasmFilter = (name: string, rootId: string, filename: string, configuration: string) =>
  wasmFilterEntry("http", { name, rootId, vmId: "wss", filename, configuration });

function hcm(statPrefix: string, httpFilters: object[]): object {
  return {
    name: "envoy.filters.network.http_connection_manager",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
      stat_prefix: statPrefix,
      upgrade_configs: [{ upgrade_type: "websocket" }],
      route_config: { name: statPrefix, virtual_hosts: [{ name: statPrefix, domains: ["*"], routes: [{
        match: { prefix: "/" },
        route: { cluster_header: "x-wss-cluster", timeout: "0s" },
        request_headers_to_remove: ["x-wss-cluster", "x-wss-service"],
      }] }] },
      http_filters: [
        ...httpFilters,
        { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } },
      ],
    },
  };
}

export interface TopologyOptions {
  modules: { router: string; drain: string };
  adminPort: number;
  endpoints: (service: string) => { address: string; port: number }[];
  /** drain-signal timing and poll settings for the public listener */
  drain: { window_ms: number; grace_ms: number; deadline_ms: number; tick_ms: number; pollAdmin: boolean };
  /** optional extra keys of the public drain-signal configuration */
  drainExtra?: Record<string, unknown>;
  /** add an internal listener answering drain-signal's operator route */
  internal: boolean;
}

export function topology(o: TopologyOptions): object {
  const timing = { window_ms: o.drain.window_ms, grace_ms: o.drain.grace_ms, deadline_ms: o.drain.deadline_ms, tick_ms: o.drain.tick_ms };
  const publicDrain = { ...timing, ...(o.drain.pollAdmin ? { admin: { cluster: "envoy_admin", poll_ms: 200, timeout_ms: 500 } } : {}), ...o.drainExtra };
  const listeners: object[] = [{
    name: "public", address: address("127.0.0.1", 0),
    filter_chains: [{ filters: [hcm("public", [
      wasmFilter("ws_router", "ws_router", o.modules.router, ROUTER_CONFIG),
      wasmFilter("drain_signal", "drain_signal", o.modules.drain, JSON.stringify(publicDrain)),
    ])] }],
  }];
  if (o.internal) {
    listeners.push({
      // OUTBOUND: /drain_listeners?inboundonly leaves it accepting, so the operator route answers
      // during a shutdown drain.
      name: "internal", address: address("127.0.0.1", 0), traffic_direction: "OUTBOUND",
      filter_chains: [{ filters: [hcm("internal", [
        wasmFilter("drain_signal_control", "drain_signal", o.modules.drain, JSON.stringify({ ...timing, control: { token: TOKEN } })),
      ])] }],
    });
  }
  const clusters: object[] = SERVICES.map((name) => ({
    name, type: "STATIC", connect_timeout: "1s",
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: o.endpoints(name).map((e) => ({ endpoint: { address: address(e.address, e.port) } })) }] },
  }));
  clusters.push({
    name: "envoy_admin", type: "STATIC", connect_timeout: "1s",
    load_assignment: { cluster_name: "envoy_admin", endpoints: [{ lb_endpoints: [{ endpoint: { address: address("127.0.0.1", o.adminPort) } }] }] },
  });
  return { admin: { address: address("127.0.0.1", o.adminPort) }, static_resources: { listeners, clusters } };
}
