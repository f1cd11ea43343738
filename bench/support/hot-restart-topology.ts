// The hot-restart e2e topology: one public listener for messages, presence (limited) and apps, with
// ws-router -> conn-accounting ->
// drain-signal -> router, drain-signal polling the admin through a static cluster, and a
// stats_flush_interval short enough that the child's merges of the parent's stats are frequent.
// Written to a file: the hot restarter reads its config from disk at every epoch.
import { writeFileSync } from "node:fs";
import { wasmFilterEntry } from "../../envoy-test/config/index.ts";

export const SERVICES = ["messages", "presence", "apps"];
const address = (a: string, p: number) => ({ socket_address: { address: a, port_value: p } });

const wasmFilter = (name: string, rootId: string, filename: string, configuration: object) =>
  wasmFilterEntry("http", { name, rootId, vmId: "wss", filename, configuration });

export interface HotRestartTopology {
  wasmDir: string;
  listenPort: number;
  adminPort: number;
  endpoints: (service: string) => { address: string; port: number }[];
  /** conn-accounting max_active for presence (the others: unlimited) */
  presenceLimit: number;
  drain: { window_ms: number; grace_ms: number; deadline_ms: number; poll_ms: number };
  statsFlushInterval: string;
}

export function hotRestartTopology(o: HotRestartTopology): object {
  const router = { services: SERVICES.map((name) => ({ name, cluster: name })), routes: SERVICES.map((name) => ({ prefix: `/${name}`, service: name })) };
  const accounting = { services: [{ name: "presence", max_active: o.presenceLimit }], retry_after_s: 1, retry_after_jitter_s: 0, count_frames: true };
  const drain = {
    window_ms: o.drain.window_ms, grace_ms: o.drain.grace_ms, deadline_ms: o.drain.deadline_ms, tick_ms: 50,
    admin: { cluster: "envoy_admin", poll_ms: o.drain.poll_ms, timeout_ms: 500 },
  };
  const clusters: object[] = SERVICES.map((name) => ({
    name, type: "STATIC", connect_timeout: "1s",
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: o.endpoints(name).map((e) => ({ endpoint: { address: address(e.address, e.port) } })) }] },
  }));
  clusters.push({
    name: "envoy_admin", type: "STATIC", connect_timeout: "1s",
    load_assignment: { cluster_name: "envoy_admin", endpoints: [{ lb_endpoints: [{ endpoint: { address: address("127.0.0.1", o.adminPort) } }] }] },
  });
  return {
    admin: { address: address("127.0.0.1", o.adminPort) },
    stats_flush_interval: o.statsFlushInterval,
    static_resources: {
      listeners: [{
        name: "public", address: address("127.0.0.1", o.listenPort),
        filter_chains: [{ filters: [{
          name: "envoy.filters.network.http_connection_manager",
          typed_config: {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
            stat_prefix: "public",
            upgrade_configs: [{ upgrade_type: "websocket" }],
            route_config: { name: "public", virtual_hosts: [{ name: "public", domains: ["*"], routes: [{
              match: { prefix: "/" },
              route: { cluster_header: "x-wss-cluster", timeout: "0s" },
              request_headers_to_remove: ["x-wss-cluster", "x-wss-service"],
            }] }] },
            http_filters: [
              wasmFilter("ws_router", "ws_router", `${o.wasmDir}/ws-router.wasm`, router),
              wasmFilter("conn_accounting", "conn_accounting", `${o.wasmDir}/conn-accounting.wasm`, accounting),
              wasmFilter("drain_signal", "drain_signal", `${o.wasmDir}/drain-signal.wasm`, drain),
              { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } },
            ],
          },
        }] }],
      }],
      clusters,
    },
  };
}

export function writeTopology(path: string, o: HotRestartTopology): void {
  writeFileSync(path, JSON.stringify(hotRestartTopology(o), null, 1));
}
