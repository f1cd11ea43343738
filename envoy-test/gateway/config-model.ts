// The subset of the Envoy v3 bootstrap the local gateway runs, as plain data (docs/gateway.md).

export interface SocketAddress { address: string; port: number }

export interface StatsTag { name: string; regex?: RegExp; fixedValue?: string }

export interface WasmPluginConfig {
  path: string;                 // YAML path of the filter, for errors
  name: string;
  rootId: string;
  vmId: string;
  filename: string;
  configuration: string;
  vmConfiguration: string;
  failOpen: boolean;
}

export interface HeaderMatcher {
  name: string;
  exact?: string; prefix?: string; suffix?: string; contains?: string; regex?: { test(value: string): boolean };
  ignoreCase: boolean;
  present?: boolean;
  invert: boolean;
}

export interface RouteConfig {
  path: string;
  match: { prefix?: string; path?: string; caseSensitive: boolean; headers: HeaderMatcher[] };
  route?: {
    cluster?: string; clusterHeader?: string;
    clusterNotFoundCode: number;
    idleTimeoutMs?: number;
    timeoutMs: number;
  };
  directResponse?: { status: number; body: string };
  requestHeadersToRemove: string[];
}

export interface VirtualHostConfig {
  name: string; domains: string[]; routes: RouteConfig[]; requestHeadersToRemove: string[];
}

export interface RouteTableConfig {
  name: string; virtualHosts: VirtualHostConfig[]; requestHeadersToRemove: string[];
}

export type HttpFilterConfig = { kind: "wasm"; plugin: WasmPluginConfig } | { kind: "router" };

export interface HcmConfig {
  statPrefix: string;
  routeTable: RouteTableConfig;
  httpFilters: HttpFilterConfig[];
  websocket: boolean;
  streamIdleTimeoutMs: number;   // 0 disables
  maxRequestHeadersKb: number;
  /** request_headers_timeout; 0 (the default) disables */
  requestHeadersTimeoutMs: number;
  /** common_http_protocol_options.idle_timeout (default 1 h); 0 disables */
  idleTimeoutMs: number;
  /** common_http_protocol_options.max_headers_count (default 100) */
  maxHeadersCount: number;
  /** http_protocol_options */
  acceptHttp10: boolean;
  defaultHostForHttp10?: string;
  allowAbsoluteUrl: boolean;
  /** use_remote_address (default false) and xff_num_trusted_hops (default 0): remote-address.ts */
  useRemoteAddress: boolean;
  xffNumTrustedHops: number;
}

export interface TcpProxyConfig { statPrefix: string; cluster: string; idleTimeoutMs: number }

export type NetworkFilterConfig =
  | { kind: "wasm"; plugin: WasmPluginConfig }
  | { kind: "hcm"; hcm: HcmConfig }
  | { kind: "tcp_proxy"; tcp: TcpProxyConfig };

export interface ListenerConfig {
  name: string; address: SocketAddress; filters: NetworkFilterConfig[];
  /** tcp_backlog_size; undefined: Envoy's default, net.core.somaxconn on Linux (128 elsewhere) */
  backlog?: number;
  /** per_connection_buffer_limit_bytes (default 1 MiB): the high watermark of each connection's buffers */
  bufferLimitBytes: number;
  /** traffic_direction (default UNSPECIFIED): `/drain_listeners?inboundonly` leaves OUTBOUND listeners running */
  trafficDirection?: "UNSPECIFIED" | "INBOUND" | "OUTBOUND";
}

export interface HealthCheckConfig {
  timeoutMs: number; intervalMs: number; noTrafficIntervalMs: number; unhealthyThreshold: number; healthyThreshold: number;
  path: string; host?: string; expectedStatuses: [number, number][];
}

export interface ClusterConfig {
  name: string;
  type: "STATIC" | "STRICT_DNS" | "EDS";
  connectTimeoutMs: number;
  endpoints: SocketAddress[];           // STATIC / STRICT_DNS (hostnames for DNS)
  eds?: { path: string; serviceName: string };
  dnsRefreshMs: number;
  healthChecks: HealthCheckConfig[];
  panicThresholdPct: number;
  /** per_connection_buffer_limit_bytes (default 1 MiB) of the upstream connections */
  bufferLimitBytes: number;
}

export interface BootstrapConfig {
  admin: SocketAddress | null;
  statsTags: StatsTag[];
  listeners: ListenerConfig[];
  clusters: ClusterConfig[];
  /** stats_flush_interval (default 5 s): a hot restart child merges the parent's stats this often */
  statsFlushIntervalMs: number;
}
