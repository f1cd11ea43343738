// A typed builder for one Envoy bootstrap (one config object per proxy). Parts add listeners,
// routes, clusters, HTTP and network Wasm filters, admin, stats tags and LB settings; the
// output is a plain object with Envoy's proto field names (snake_case), ready to validate and
// write as YAML. Field meanings: envoy/config/bootstrap/v3/bootstrap.proto,
// envoy/config/listener/v3/listener.proto, envoy/config/cluster/v3/cluster.proto,
// envoy/config/route/v3/route_components.proto, envoy/extensions/wasm/v3/wasm.proto.
import { posix } from "node:path";
import { TYPE_URLS } from "./type-urls.ts";

export type Json = Record<string, any>;

/** The type URLs the builder writes (one table for the builder and the gateway: type-urls.ts). */
export const TYPES = TYPE_URLS;

export interface Address { host: string; port: number }
const socketAddress = (a: Address): Json => ({ socket_address: { address: a.host, port_value: a.port } });

/**
 * A filter entry running a Wasm plugin: envoy.filters.http.wasm in http_filters, or
 * envoy.filters.network.wasm in a filter chain (envoy/extensions/wasm/v3/wasm.proto PluginConfig).
 * `filename` is the module's path as the proxy sees it. The builder uses it; so do tests that
 * write a bootstrap by hand.
 */
export function wasmFilterEntry(kind: "http" | "network", f: Omit<WasmFilter, "module"> & { filename: string }): Json {
  const configuration = f.configuration === undefined ? undefined
    : typeof f.configuration === "string" ? f.configuration : JSON.stringify(f.configuration);
  const config = {
    name: f.name,
    root_id: f.rootId,
    vm_config: { vm_id: f.vmId ?? "", runtime: "envoy.wasm.runtime.v8", code: { local: { filename: f.filename } } },
    ...(configuration !== undefined ? { configuration: { "@type": TYPES.stringValue, value: configuration } } : {}),
    // fail_open only when asked: false is the default (fail closed) in every Envoy, and Envoy
    // 1.40 deprecates the field in favour of failure_policy, which these protos predate.
    ...(f.failOpen ? { fail_open: true } : {}),
  };
  return kind === "http"
    ? { name: "envoy.filters.http.wasm", typed_config: { "@type": TYPES.httpWasm, config } }
    : { name: "envoy.filters.network.wasm", typed_config: { "@type": TYPES.networkWasm, config } };
}

/** A Wasm filter: which module, which root id, and its JSON configuration (a plain object). */
export interface WasmFilter {
  /** Plugin name (PluginConfig.name, shown in Envoy's logs). The filter entry itself is named
   *  after the extension (envoy.filters.http.wasm / envoy.filters.network.wasm), as in Envoy's
   *  examples; Envoy picks the extension by the typed_config @type either way. */
  name: string;
  /** Module file name inside `wasmDir`, e.g. "ws-router.wasm". */
  module: string;
  rootId: string;
  /** Filters sharing a vm_id share shared data and queues (process-wide per vm_id). */
  vmId?: string;
  /** Serialised as JSON into a google.protobuf.StringValue: the module receives the bare string
   *  in proxy_on_configure. A string is passed through unchanged. */
  configuration?: unknown;
  /** PluginConfig.fail_open (see docs/config.md: failure_policy is newer than the protos). */
  failOpen?: boolean;
}

export interface Route {
  /** Path prefix match (`match.prefix`), or exact path with `path`. */
  prefix?: string;
  path?: string;
  /** Required request headers: name -> exact value ("" = present). */
  headers?: Record<string, string>;
  cluster?: string;
  /** Take the cluster from this request header (route_components.proto RouteAction.cluster_header). */
  clusterHeader?: string;
  /** A direct response instead of routing: status and optional body. */
  direct?: { status: number; body?: string };
  /** Route idle timeout, e.g. "300s"; "0s" disables it (upgraded websockets otherwise die at the HCM stream_idle_timeout). */
  idleTimeout?: string;
  /** Route timeout; "0s" for long-lived websockets. */
  timeout?: string;
  requestHeadersToRemove?: string[];
}

export interface HttpListener {
  name: string;
  address: Address;
  statPrefix: string;
  /** Network (L4) Wasm filters that run before the HTTP connection manager. */
  networkFilters?: WasmFilter[];
  /** HTTP Wasm filters in order; the router is appended. */
  httpFilters?: WasmFilter[];
  routes: Route[];
  domains?: string[];
  /** `upgrade_configs: [{upgrade_type: websocket}]` (default true). */
  websocket?: boolean;
  /** HCM use_remote_address: the connection's peer is the client's address (source.address) and
   *  is appended to X-Forwarded-For; unset (false), Envoy takes the address from the client's
   *  X-Forwarded-For. */
  useRemoteAddress?: boolean;
  /** HCM stream_idle_timeout, e.g. "300s" (Envoy's default 5 min). */
  streamIdleTimeout?: string;
  /** Route-level `request_headers_to_remove` on the virtual host. */
  requestHeadersToRemove?: string[];
  /** Listener drain_type: DEFAULT (drain on hot restart, /drain_listeners, /healthcheck/fail)
   *  or MODIFY_ONLY (only when the listener is modified or removed). */
  drainType?: "DEFAULT" | "MODIFY_ONLY";
  /** HCM drain_timeout: after "Connection: close"/GOAWAY, how long before the connection is closed
   *  (Envoy's default 5 s; upgraded websockets are not affected: docs/envoy-fidelity.md, draining). */
  drainTimeout?: string;
  /** Listener traffic_direction: `POST /drain_listeners?inboundonly` stops every listener except
   *  the OUTBOUND ones (listener_manager_impl.cc stopListeners, StopListenersType::InboundOnly). */
  trafficDirection?: "INBOUND" | "OUTBOUND";
}

export interface HealthCheck {
  path: string;
  interval?: string;
  timeout?: string;
  unhealthyThreshold?: number;
  healthyThreshold?: number;
}

export interface ClusterSpec {
  name: string;
  /** STATIC endpoints (host:port) or STRICT_DNS names; omit with `eds`. */
  endpoints?: Address[];
  dns?: boolean;
  /** EDS from a file: the ClusterLoadAssignment lives in this path (path_config_source), reloaded on rename. */
  eds?: { path: string };
  connectTimeout?: string;
  lbPolicy?: "ROUND_ROBIN" | "LEAST_REQUEST" | "RANDOM" | "RING_HASH" | "MAGLEV";
  /** common_lb_config.healthy_panic_threshold in percent (Envoy's default 50). */
  healthyPanicThreshold?: number;
  /** common_lb_config.zone_aware_lb_config; needs cluster_manager.local_cluster_name. */
  zoneAware?: { routingEnabledPercent?: number; minClusterSize?: number };
  healthCheck?: HealthCheck;
  /** Endpoints' locality zone (for zone-aware routing). */
  zone?: string;
}

export interface StatsTag { tagName: string; regex: string }

export interface ConfigOptions {
  /** Directory that holds the built .wasm modules as seen by the proxy: "build" for the local
   *  gateway (relative to the repo), "/etc/envoy/wasm" inside the Envoy container. */
  wasmDir: string;
  nodeId?: string;
  nodeCluster?: string;
  /** node.locality.zone: the local zone for zone-aware routing. */
  zone?: string;
}

/** One Envoy bootstrap, assembled from parts. */
export class EnvoyConfig {
  private adminAddr: Address | null = null;
  /** Typed listeners stay specs until build(), so later parts can add routes and filters. */
  private readonly listeners: ({ spec: HttpListener } | { raw: Json })[] = [];
  private readonly clusters: Json[] = [];
  private readonly tags: StatsTag[] = [];
  private localClusterName: string | null = null;
  /** EDS files to write with the config: path (as the proxy sees it) -> ClusterLoadAssignment. */
  readonly edsFiles = new Map<string, Json>();

  constructor(readonly options: ConfigOptions) {}

  admin(address: Address): this {
    this.adminAddr = address;
    return this;
  }

  /** Path of a module as the proxy sees it. */
  wasmPath(module: string): string {
    return posix.join(this.options.wasmDir, module);
  }

  /** An entry of HttpConnectionManager.http_filters running `f` (envoy.filters.http.wasm). */
  httpWasmFilter(f: WasmFilter): Json {
    return wasmFilterEntry("http", { ...f, filename: this.wasmPath(f.module) });
  }

  /** An entry of a filter chain's filters running `f` (envoy.filters.network.wasm). */
  networkWasmFilter(f: WasmFilter): Json {
    return wasmFilterEntry("network", { ...f, filename: this.wasmPath(f.module) });
  }

  private route(r: Route): Json {
    const match: Json = r.path !== undefined ? { path: r.path } : { prefix: r.prefix ?? "/" };
    if (r.headers) {
      match.headers = Object.entries(r.headers).map(([name, value]) =>
        value === "" ? { name, present_match: true } : { name, string_match: { exact: value } });
    }
    const out: Json = { match };
    if (r.direct) {
      out.direct_response = { status: r.direct.status, ...(r.direct.body !== undefined ? { body: { inline_string: r.direct.body } } : {}) };
    } else {
      if ((r.cluster === undefined) === (r.clusterHeader === undefined)) {
        throw new Error(`route ${JSON.stringify(match)}: give exactly one of cluster, clusterHeader or direct`);
      }
      out.route = {
        ...(r.cluster !== undefined ? { cluster: r.cluster } : { cluster_header: r.clusterHeader }),
        ...(r.timeout !== undefined ? { timeout: r.timeout } : {}),
        ...(r.idleTimeout !== undefined ? { idle_timeout: r.idleTimeout } : {}),
      };
    }
    if (r.requestHeadersToRemove?.length) out.request_headers_to_remove = r.requestHeadersToRemove;
    return out;
  }

  /** A listener with (optional) network Wasm filters, then an HTTP connection manager. */
  httpListener(l: HttpListener): this {
    this.claimListenerName(l.name);
    this.listeners.push({ spec: { ...l, routes: [...l.routes], httpFilters: [...(l.httpFilters ?? [])], networkFilters: [...(l.networkFilters ?? [])] } });
    for (const r of l.routes) this.route(r); // refuse a bad route now, where it was added
    return this;
  }

  /** Appends a route to a listener added with httpListener (routes match in order). */
  addRoute(listener: string, r: Route): this {
    this.route(r);
    this.spec(listener).routes.push(r);
    return this;
  }

  /** Appends an HTTP Wasm filter to a listener's chain (it runs before the router). */
  addHttpFilter(listener: string, f: WasmFilter): this {
    this.spec(listener).httpFilters!.push(f);
    return this;
  }

  /** Appends a network Wasm filter to a listener (it runs before the connection manager). */
  addNetworkFilter(listener: string, f: WasmFilter): this {
    this.spec(listener).networkFilters!.push(f);
    return this;
  }

  /** Adds a raw listener object (for shapes the typed parts do not cover). */
  rawListener(listener: Json): this {
    if (typeof listener.name === "string") this.claimListenerName(listener.name);
    this.listeners.push({ raw: structuredClone(listener) });
    return this;
  }

  private claimListenerName(name: string): void {
    const taken = this.listeners.some((l) => ("spec" in l ? l.spec.name : l.raw.name) === name);
    if (taken) throw new Error(`listener "${name}" is already in this config`);
  }

  private spec(name: string): HttpListener {
    for (const l of this.listeners) if ("spec" in l && l.spec.name === name) return l.spec;
    const names = this.listeners.map((l) => ("spec" in l ? l.spec.name : l.raw.name)).join(", ");
    throw new Error(`no listener "${name}" added with httpListener (listeners: ${names || "none"})`);
  }

  private renderListener(l: HttpListener): Json {
    const hcm: Json = {
      "@type": TYPES.hcm,
      stat_prefix: l.statPrefix,
      codec_type: "AUTO",
      route_config: {
        name: `${l.name}_routes`,
        virtual_hosts: [{
          name: l.name,
          domains: l.domains ?? ["*"],
          routes: l.routes.map((r) => this.route(r)),
          ...(l.requestHeadersToRemove?.length ? { request_headers_to_remove: l.requestHeadersToRemove } : {}),
        }],
      },
      http_filters: [
        ...(l.httpFilters ?? []).map((f) => this.httpWasmFilter(f)),
        { name: "envoy.filters.http.router", typed_config: { "@type": TYPES.router } },
      ],
      ...(l.websocket === false ? {} : { upgrade_configs: [{ upgrade_type: "websocket" }] }),
      ...(l.streamIdleTimeout !== undefined ? { stream_idle_timeout: l.streamIdleTimeout } : {}),
      ...(l.useRemoteAddress !== undefined ? { use_remote_address: l.useRemoteAddress } : {}),
      ...(l.drainTimeout !== undefined ? { drain_timeout: l.drainTimeout } : {}),
    };
    return {
      name: l.name,
      address: socketAddress(l.address),
      ...(l.drainType ? { drain_type: l.drainType } : {}),
      ...(l.trafficDirection ? { traffic_direction: l.trafficDirection } : {}),
      filter_chains: [{
        filters: [
          ...(l.networkFilters ?? []).map((f) => this.networkWasmFilter(f)),
          { name: "envoy.filters.network.http_connection_manager", typed_config: hcm },
        ],
      }],
    };
  }

  private lbEndpoints(c: ClusterSpec): Json {
    return {
      cluster_name: c.name,
      endpoints: [{
        ...(c.zone ? { locality: { zone: c.zone } } : {}),
        lb_endpoints: (c.endpoints ?? []).map((a) => ({ endpoint: { address: socketAddress(a) } })),
      }],
    };
  }

  cluster(c: ClusterSpec): this {
    if (this.clusters.some((x) => x.name === c.name)) throw new Error(`cluster "${c.name}" is already in this config`);
    const out: Json = {
      name: c.name,
      connect_timeout: c.connectTimeout ?? "1s",
      lb_policy: c.lbPolicy ?? "ROUND_ROBIN",
    };
    if (c.eds) {
      out.type = "EDS";
      out.eds_cluster_config = { eds_config: { resource_api_version: "V3", path_config_source: { path: c.eds.path } } };
      this.edsFiles.set(c.eds.path, this.lbEndpoints(c));
    } else {
      out.type = c.dns ? "STRICT_DNS" : "STATIC";
      out.load_assignment = this.lbEndpoints(c);
    }
    if (c.healthyPanicThreshold !== undefined || c.zoneAware) {
      out.common_lb_config = {
        ...(c.healthyPanicThreshold !== undefined ? { healthy_panic_threshold: { value: c.healthyPanicThreshold } } : {}),
        ...(c.zoneAware ? {
          zone_aware_lb_config: {
            ...(c.zoneAware.routingEnabledPercent !== undefined ? { routing_enabled: { value: c.zoneAware.routingEnabledPercent } } : {}),
            ...(c.zoneAware.minClusterSize !== undefined ? { min_cluster_size: c.zoneAware.minClusterSize } : {}),
          },
        } : {}),
      };
    }
    if (c.healthCheck) {
      const h = c.healthCheck;
      out.health_checks = [{
        timeout: h.timeout ?? "1s",
        interval: h.interval ?? "5s",
        unhealthy_threshold: h.unhealthyThreshold ?? 2,
        healthy_threshold: h.healthyThreshold ?? 1,
        http_health_check: { path: h.path },
      }];
    }
    this.clusters.push(out);
    return this;
  }

  /** The cluster whose zone is local, for zone-aware routing (cluster_manager.local_cluster_name). */
  localCluster(name: string): this {
    this.localClusterName = name;
    return this;
  }

  statsTag(tag: StatsTag): this {
    this.tags.push(tag);
    return this;
  }

  /** The bootstrap as a plain object (proto field names). */
  build(): Json {
    const o = this.options;
    const out: Json = {};
    if (o.nodeId || o.nodeCluster || o.zone) {
      out.node = {
        ...(o.nodeId ? { id: o.nodeId } : {}),
        ...(o.nodeCluster ? { cluster: o.nodeCluster } : {}),
        ...(o.zone ? { locality: { zone: o.zone } } : {}),
      };
    }
    if (this.tags.length) {
      out.stats_config = { stats_tags: this.tags.map((t) => ({ tag_name: t.tagName, regex: t.regex })) };
    }
    out.static_resources = {
      listeners: this.listeners.map((l) => ("spec" in l ? this.renderListener(l.spec) : l.raw)),
      clusters: this.clusters,
    };
    if (this.localClusterName) out.cluster_manager = { local_cluster_name: this.localClusterName };
    if (this.adminAddr) out.admin = { address: socketAddress(this.adminAddr) };
    return structuredClone(out);
  }
}
