// The default topology (docs/design.md, "Contracts"), built with the config builder: what `npm run config`
// writes to build/envoy.yaml and what `npm start`, the e2e tests and the container harness run.
//
//   public listener 127.0.0.1:8080
//     network: conn-accounting (conn_accounting_tcp)
//     HCM (upgrade_configs websocket):
//       ws-router -> conn-accounting (conn_accounting) -> drain-signal -> router
//       one route per service cluster, chosen by an exact x-wss-cluster value; anything else 404;
//       x-wss-* stripped at the router
//   operator listener 127.0.0.1:8081 (internal): drain-signal with its control endpoint; its
//       routes require the token; anything else 404 (admin is reachable only on its own address)
//   admin 127.0.0.1:9901; clusters messages/presence/apps (two endpoints each) and admin
//
// The filters' configuration objects are parameters; the defaults follow the filters' own
// config.ts/README.md (keys named there) and the drain settings in filters/drain-signal/README.md.
import { EnvoyConfig, type Address, type Json, type Route, type StatsTag } from "./builder.ts";
import { WS_ROUTER_CLUSTER_HEADER } from "./filter-knowledge.ts";

export const SERVICES = ["messages", "presence", "apps"] as const;
export type Service = (typeof SERVICES)[number];

/** The header ws-router writes the chosen cluster into (its default `cluster_header`). */
export const CLUSTER_HEADER = WS_ROUTER_CLUSTER_HEADER;

/** Headers the filters set for routing; removed at the router so backends never see them
 *  (removing them in a filter would clear the route cache and re-route). */
export const INTERNAL_HEADERS = [CLUSTER_HEADER, "x-wss-service"];

/** Turns wasmcustom.wss.<service>.<stat> into wss.<stat>{service=...}; the stat names are the
 *  per-service ones the filters define (filters/conn-accounting/README.md). */
export const SERVICE_STATS = ["cx_active", "cx_total", "cx_rejected", "rx_frames", "tx_frames", "rx_bytes", "tx_bytes"];
export const SERVICE_TAG: StatsTag = {
  tagName: "service",
  regex: `^wasmcustom\\.wss\\.((.+?)\\.)(?:${SERVICE_STATS.join("|")})$`,
};

export interface DrainSettings {
  windowMs?: number;
  graceMs?: number;
  deadlineMs?: number;
  /** Token the operator listener's drain endpoint requires (>= 16 characters). */
  token?: string;
  /** Admin poll period of the drain filter's tick. */
  pollMs?: number;
}

export interface DefaultTopologyOptions {
  /** Where the proxy finds build/*.wasm: "build" (local gateway, relative to the repo) or e.g.
   *  "/etc/envoy/wasm" inside the Envoy container. */
  wasmDir?: string;
  listen?: Address;
  operator?: Address;
  admin?: Address;
  /** Host of the demo backends (127.0.0.1 locally; a compose service name in a container). */
  backendHost?: string;
  /** Two ports per service. Default messages 9101/9102, presence 9111/9112, apps 9121/9122. */
  backendPorts?: Partial<Record<Service, number[]>>;
  /** Serve the service clusters from EDS files in this directory instead of STATIC endpoints. */
  edsDir?: string;
  /** HTTP health checks of the backends (GET /healthz). Default true. */
  healthChecks?: boolean;
  healthyPanicThreshold?: number;
  /** Route idle_timeout of the websocket route (e.g. "3600s"); unset, the HCM's
   *  stream_idle_timeout (5 min) cuts idle upgraded streams (the demo backends ping). */
  idleTimeout?: string;
  drain?: DrainSettings;
  /** Filter configurations: replace the defaults below entirely when given. */
  wsRouterConfig?: Json;
  connAccountingConfig?: Json;
  connAccountingTcpConfig?: Json;
  drainSignalConfig?: Json;
  operatorDrainSignalConfig?: Json;
}

export const DEFAULT_PORTS: Record<Service, number[]> = {
  messages: [9101, 9102],
  presence: [9111, 9112],
  apps: [9121, 9122],
};

/** A development token: the operator listener only listens on 127.0.0.1. Production sets its own. */
export const DEV_DRAIN_TOKEN = "local-dev-drain-token-change-me";

/** 127.0.0.0/8, ::1 and localhost: an address only this host reaches. */
function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
export const VM_ID = "wss";

export function defaultWsRouterConfig(): Json {
  return {
    services: SERVICES.map((s) => ({ name: s, cluster: s })),
    routes: SERVICES.map((s) => ({ prefix: `/${s}`, service: s })),
  };
}

export function defaultConnAccountingConfig(): Json {
  return { fallback_service: "unknown" };
}

export function defaultConnAccountingTcpConfig(): Json {
  return { listener: "public" };
}

function drainBase(d: DrainSettings): Json {
  return {
    window_ms: d.windowMs ?? 20000,
    grace_ms: d.graceMs ?? 5000,
    deadline_ms: d.deadlineMs ?? 30000,
    services: [
      { name: "messages", dialect: "slack-rtm" },
      { name: "presence", dialect: "slack-rtm" },
      { name: "apps", dialect: "socket-mode" },
    ],
    admin: { cluster: "admin", poll_ms: d.pollMs ?? 1000 },
  };
}

export function defaultDrainSignalConfig(d: DrainSettings = {}): Json {
  return drainBase(d);
}

/** The operator listener's copy also answers drain requests (control); the public one never does. */
export function defaultOperatorDrainSignalConfig(d: DrainSettings = {}): Json {
  return { ...drainBase(d), control: { path_prefix: "/drain-signal", token_header: "x-drain-token", token: d.token ?? DEV_DRAIN_TOKEN } };
}

/** Every cluster a ws-router configuration can name (services[].cluster and their shards). */
export function routerClusters(config: Json): string[] {
  const out = new Set<string>();
  const services = (config as { services?: unknown }).services;
  if (Array.isArray(services)) {
    for (const s of services) {
      if (typeof s?.cluster === "string") out.add(s.cluster);
      if (Array.isArray(s?.shard?.clusters)) for (const c of s.shard.clusters) if (typeof c === "string") out.add(c);
    }
  }
  return [...out];
}

/**
 * The public routes: one per websocket service cluster, taken only when the cluster header holds
 * exactly that name, then 404. A `cluster_header` route would send a request to whatever cluster
 * the header names, the admin cluster and the filters' callout clusters included, whenever
 * ws-router did not overwrite the client's copy (a plugin that failed open is skipped by Envoy);
 * with one exact match per allowed value, the route table itself refuses every other cluster.
 */
function publicRoutes(wsRouter: Json, idleTimeout: string | undefined): Route[] {
  const header = typeof (wsRouter as { cluster_header?: unknown }).cluster_header === "string"
    ? String((wsRouter as { cluster_header: string }).cluster_header).toLowerCase() : CLUSTER_HEADER;
  const remove = [...new Set([...INTERNAL_HEADERS, header])];
  return [
    ...routerClusters(wsRouter).map((cluster): Route => ({
      prefix: "/", headers: { [header]: cluster }, cluster, requestHeadersToRemove: remove,
      ...(idleTimeout !== undefined ? { idleTimeout } : {}),
    })),
    { prefix: "/", direct: { status: 404, body: "no websocket service at this path\n" } },
  ];
}

/**
 * The operator routes: drain-signal answers its control requests itself; these routes exist so
 * that, whatever the filter does (a plugin that failed open is skipped), only a request carrying
 * the token reaches past the control prefix, and it still reaches nothing: no route leads to the
 * admin cluster (POST /healthcheck/fail there would drain the whole proxy).
 */
function operatorRoutes(control: Json | undefined): Route[] {
  const c = (control ?? {}) as { path_prefix?: unknown; token_header?: unknown; token?: unknown };
  const routes: Route[] = [];
  if (typeof c.path_prefix === "string" && typeof c.token_header === "string" && typeof c.token === "string") {
    routes.push({ prefix: c.path_prefix, headers: { [c.token_header.toLowerCase()]: c.token },
      direct: { status: 503, body: "drain-signal did not answer\n" } });
  }
  routes.push({ prefix: "/", direct: { status: 404, body: "not found\n" } });
  return routes;
}

export function defaultTopology(o: DefaultTopologyOptions = {}): EnvoyConfig {
  const cfg = new EnvoyConfig({ wasmDir: o.wasmDir ?? "build", nodeId: "proxy-wasm-as", nodeCluster: "wss" });
  const admin = o.admin ?? { host: "127.0.0.1", port: 9901 };
  const backendHost = o.backendHost ?? "127.0.0.1";
  const drain = o.drain ?? {};
  const operator = o.operator ?? { host: "127.0.0.1", port: 8081 };
  if (!isLoopback(operator.host) && drain.token === undefined && o.operatorDrainSignalConfig === undefined) {
    throw new Error(`defaultTopology: the operator listener ${operator.host}:${operator.port} is reachable beyond this host, `
      + "so its drain routes need a token of your own (drain.token; the CLI's --drain-token): the development token is public");
  }
  cfg.admin(admin).statsTag(SERVICE_TAG);
  const wsRouter = o.wsRouterConfig ?? defaultWsRouterConfig();
  const operatorDrain = o.operatorDrainSignalConfig ?? defaultOperatorDrainSignalConfig(drain);

  const connAccountingTcp = { name: "conn-accounting-tcp", module: "conn-accounting.wasm", rootId: "conn_accounting_tcp", vmId: VM_ID,
    configuration: o.connAccountingTcpConfig ?? defaultConnAccountingTcpConfig() };
  cfg.httpListener({
    name: "public",
    address: o.listen ?? { host: "127.0.0.1", port: 8080 },
    statPrefix: "public",
    // The edge: the client is the connection's peer. Without this Envoy would take the client's
    // address (source.address, which conn-accounting's per-key limit keys on) from whatever
    // X-Forwarded-For the client sends.
    useRemoteAddress: true,
    networkFilters: [connAccountingTcp],
    httpFilters: [
      { name: "ws-router", module: "ws-router.wasm", rootId: "ws_router", vmId: VM_ID, configuration: wsRouter },
      { name: "conn-accounting", module: "conn-accounting.wasm", rootId: "conn_accounting", vmId: VM_ID, configuration: o.connAccountingConfig ?? defaultConnAccountingConfig() },
      { name: "drain-signal", module: "drain-signal.wasm", rootId: "drain_signal", vmId: VM_ID, configuration: o.drainSignalConfig ?? defaultDrainSignalConfig(drain) },
    ],
    routes: publicRoutes(wsRouter, o.idleTimeout),
  });
  cfg.httpListener({
    name: "operator",
    address: operator,
    statPrefix: "operator",
    websocket: false,
    // Marked OUTBOUND so `POST /drain_listeners?inboundonly` stops the public listener and leaves
    // this one accepting: drain-signal's status and cancel stay reachable during the drain.
    trafficDirection: "OUTBOUND",
    httpFilters: [
      { name: "drain-signal-control", module: "drain-signal.wasm", rootId: "drain_signal", vmId: VM_ID,
        configuration: operatorDrain },
    ],
    routes: operatorRoutes((operatorDrain as { control?: Json }).control),
  });

  for (const s of SERVICES) {
    const ports = o.backendPorts?.[s] ?? DEFAULT_PORTS[s];
    cfg.cluster({
      name: s,
      endpoints: ports.map((port) => ({ host: backendHost, port })),
      ...(o.edsDir ? { eds: { path: `${o.edsDir.replace(/\/$/, "")}/${s}.yaml` } } : {}),
      connectTimeout: "1s",
      healthyPanicThreshold: o.healthyPanicThreshold ?? 50,
      ...(o.healthChecks === false ? {} : { healthCheck: { path: "/healthz", interval: "5s", timeout: "1s", unhealthyThreshold: 2, healthyThreshold: 1 } }),
    });
  }
  // An admin bound to every interface is dialled on loopback (0.0.0.0 is not a destination).
  const adminDial = admin.host === "0.0.0.0" ? "127.0.0.1" : admin.host === "::" ? "::1" : admin.host;
  cfg.cluster({ name: "admin", endpoints: [{ host: adminDial, port: admin.port }], connectTimeout: "1s" });
  return cfg;
}
