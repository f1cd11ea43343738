// Envoy v3 bootstrap (YAML or object) -> BootstrapConfig, for the subset in docs/gateway.md.
// Defaults are Envoy's own (cited next to each one); anything else is refused with its path.
import { readFileSync } from "node:fs";
import type {
  BootstrapConfig, ClusterConfig, HcmConfig, HeaderMatcher, HealthCheckConfig, HttpFilterConfig,
  ListenerConfig, NetworkFilterConfig, RouteConfig, RouteTableConfig, SocketAddress, StatsTag,
  TcpProxyConfig, VirtualHostConfig, WasmPluginConfig,
} from "./config-model.ts";
import { BootstrapError, UNSUPPORTED, YamlObject } from "./yaml-reader.ts";
import { compileRe2 } from "../config/re2.ts";
import { TYPE_URLS } from "../config/type-urls.ts";
import { readYamlDocument } from "../config/yaml.ts";
import { asciiLower } from "../host/ascii.ts";

/** The type URLs the gateway recognises (the config builder's table). */
export const TYPE = TYPE_URLS;

/** Reads a bootstrap file; relative wasm and EDS paths resolve against the process cwd, as in Envoy. */
export function loadBootstrapFile(path: string): BootstrapConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`gateway: cannot read config ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = readYamlDocument(text, path);
  } catch (e) {
    throw new Error(`gateway: ${path} is not valid YAML: ${(e as Error).message}`);
  }
  return parseBootstrap(doc);
}

export function parseBootstrap(doc: unknown): BootstrapConfig {
  const root = YamlObject.of(doc, "bootstrap");
  root.ignore("node"); // identity only: no behaviour of the data plane depends on it here
  const admin = root.obj("admin");
  let adminAddress: SocketAddress | null = null;
  if (admin) {
    adminAddress = socketAddress(admin.reqObj("address"));
    admin.ignore("access_log");
    admin.done();
  }
  const statsTags: StatsTag[] = [];
  const statsConfig = root.obj("stats_config");
  if (statsConfig) {
    for (const t of statsConfig.objList("stats_tags")) {
      const name = t.reqStr("tag_name");
      const re = t.str("regex");
      const fixed = t.str("fixed_value");
      if ((re === undefined) === (fixed === undefined)) throw new BootstrapError(t.path, "exactly one of regex or fixed_value is required");
      let regex: RegExp | undefined;
      if (re !== undefined) {
        try { regex = new RegExp(re); } catch (e) { throw new BootstrapError(t.at("regex"), `invalid regex: ${(e as Error).message}`); }
      }
      statsTags.push({ name, regex, fixedValue: fixed });
      t.done();
    }
    statsConfig.ignore("use_all_default_tags");
    statsConfig.done();
  }
  // Envoy: 5 s by default; between 1 ms and 300 s (bootstrap.proto stats_flush_interval).
  const statsFlushIntervalMs = root.durationMs("stats_flush_interval") ?? 5000;
  if (statsFlushIntervalMs < 1 || statsFlushIntervalMs > 300_000) throw new BootstrapError(root.at("stats_flush_interval"), "must be between 1ms and 300s");
  const sr = root.reqObj("static_resources");
  const listeners = sr.objList("listeners").map(parseListener);
  const clusters = sr.objList("clusters").map(parseCluster);
  sr.done();
  root.done();
  const names = new Set<string>();
  for (const c of clusters) {
    if (names.has(c.name)) throw new BootstrapError("bootstrap.static_resources.clusters", `duplicate cluster name "${c.name}"`);
    names.add(c.name);
  }
  const lnames = new Set<string>();
  for (const l of listeners) {
    if (lnames.has(l.name)) throw new BootstrapError("bootstrap.static_resources.listeners", `duplicate listener name "${l.name}"`);
    lnames.add(l.name);
    for (const f of l.filters) if (f.kind === "tcp_proxy" && !names.has(f.tcp.cluster)) {
      // Envoy refuses a tcp_proxy pointing at an unknown static cluster at start-up.
      throw new BootstrapError(`listener ${l.name}: tcp_proxy`, `unknown cluster "${f.tcp.cluster}"`);
    }
  }
  return { admin: adminAddress, statsTags, listeners, clusters, statsFlushIntervalMs };
}

function socketAddress(addr: YamlObject): SocketAddress {
  const sa = addr.reqObj("socket_address");
  addr.done();
  const address = sa.reqStr("address");
  const port = sa.int("port_value") ?? 0;
  if (port < 0 || port > 65535) throw new BootstrapError(sa.at("port_value"), `port ${port} is out of range 0..65535`);
  sa.enumName("protocol", ["TCP"], "TCP");
  sa.done();
  return { address, port };
}

function parseListener(l: YamlObject): ListenerConfig {
  const name = l.reqStr("name");
  const address = socketAddress(l.reqObj("address"));
  const chains = l.objList("filter_chains");
  if (chains.length !== 1) {
    throw new BootstrapError(l.at("filter_chains"), `exactly one filter chain is supported by the local gateway (got ${chains.length}); more ${UNSUPPORTED}`);
  }
  const chain = chains[0];
  const filters = chain.objList("filters").map(parseNetworkFilter);
  chain.ignore("name");
  chain.done();
  const backlog = l.wrapped("tcp_backlog_size");
  if (backlog !== undefined && !(Number.isInteger(backlog) && backlog >= 1 && backlog <= 0xffffffff)) {
    throw new BootstrapError(l.at("tcp_backlog_size"), `expected an integer from 1 to 4294967295 (listen queue length), got ${backlog}`);
  }
  const bufferLimitBytes = bufferLimit(l);
  // config/core/v3/base.proto TrafficDirection; /drain_listeners?inboundonly skips OUTBOUND ones.
  const direction = l.enumName("traffic_direction", ["UNSPECIFIED", "INBOUND", "OUTBOUND"] as const, "UNSPECIFIED");
  l.done();
  const terminal = filters.findIndex((f) => f.kind !== "wasm");
  if (terminal !== filters.length - 1) {
    throw new BootstrapError(`${chain.path}.filters`, "the last filter must be the only terminal filter (http_connection_manager or tcp_proxy)");
  }
  return { name, address, filters, bufferLimitBytes, trafficDirection: direction, ...(backlog !== undefined ? { backlog } : {}) };
}

/** per_connection_buffer_limit_bytes (listener.proto, cluster.proto): default 1 MiB. */
function bufferLimit(o: YamlObject): number {
  const n = o.int("per_connection_buffer_limit_bytes") ?? 1024 * 1024;
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new BootstrapError(o.at("per_connection_buffer_limit_bytes"), `expected an integer from 1 to 4294967295, got ${n}`);
  return n;
}

function typedConfig(f: YamlObject, expected: string): YamlObject {
  const tc = f.reqObj("typed_config");
  const t = tc.str("@type");
  if (t !== expected) throw new BootstrapError(tc.at("@type"), `expected "${expected}", got ${JSON.stringify(t)}`);
  return tc;
}

function parseNetworkFilter(f: YamlObject): NetworkFilterConfig {
  const name = f.reqStr("name");
  let out: NetworkFilterConfig;
  if (name === "envoy.filters.network.wasm") {
    out = { kind: "wasm", plugin: parseWasm(typedConfig(f, TYPE.networkWasm)) };
  } else if (name === "envoy.filters.network.http_connection_manager") {
    out = { kind: "hcm", hcm: parseHcm(typedConfig(f, TYPE.hcm)) };
  } else if (name === "envoy.filters.network.tcp_proxy") {
    out = { kind: "tcp_proxy", tcp: parseTcpProxy(typedConfig(f, TYPE.tcpProxy)) };
  } else {
    throw new BootstrapError(f.at("name"), `network filter "${name}" is ${UNSUPPORTED}`);
  }
  f.done();
  return out;
}

function parseWasm(tc: YamlObject): WasmPluginConfig {
  const c = tc.reqObj("config");
  tc.done();
  const vm = c.reqObj("vm_config");
  const runtime = vm.str("runtime") ?? "";
  if (runtime !== "envoy.wasm.runtime.v8" && runtime !== "") {
    throw new BootstrapError(vm.at("runtime"), `runtime "${runtime}" is ${UNSUPPORTED} (use envoy.wasm.runtime.v8)`);
  }
  const code = vm.reqObj("code");
  const local = code.reqObj("local");
  const filename = local.reqStr("filename");
  local.done(); code.done();
  const vmConfiguration = stringValue(vm, "configuration");
  const vmId = vm.str("vm_id") ?? "";
  vm.ignore("allow_precompiled"); // a start-up speed option; no behaviour
  vm.done();
  const plugin: WasmPluginConfig = {
    path: c.path,
    name: c.str("name") ?? "",
    rootId: c.str("root_id") ?? "",
    vmId,
    filename,
    configuration: stringValue(c, "configuration"),
    vmConfiguration,
    failOpen: c.bool("fail_open") ?? false,
  };
  c.done();
  return plugin;
}

/** configuration: Any. Only google.protobuf.StringValue (delivered unwrapped, context.cc). */
function stringValue(o: YamlObject, field: string): string {
  const v = o.obj(field);
  if (!v) return "";
  const t = v.str("@type");
  if (t !== TYPE.stringValue) {
    throw new BootstrapError(v.at("@type"), `configuration type ${JSON.stringify(t)} is ${UNSUPPORTED} (use ${TYPE.stringValue})`);
  }
  const s = v.str("value") ?? "";
  v.done();
  return s;
}

function parseHcm(tc: YamlObject): HcmConfig {
  const statPrefix = tc.reqStr("stat_prefix");
  tc.enumName("codec_type", ["AUTO", "HTTP1"], "AUTO");
  const rc = tc.reqObj("route_config");
  const routeTable = parseRouteTable(rc);
  const httpFilters: HttpFilterConfig[] = tc.objList("http_filters").map((f) => {
    const name = f.reqStr("name");
    let out: HttpFilterConfig;
    if (name === "envoy.filters.http.wasm") out = { kind: "wasm", plugin: parseWasm(typedConfig(f, TYPE.httpWasm)) };
    else if (name === "envoy.filters.http.router") {
      if (f.has("typed_config")) typedConfig(f, TYPE.router).done();
      out = { kind: "router" };
    } else throw new BootstrapError(f.at("name"), `http filter "${name}" is ${UNSUPPORTED}`);
    f.done();
    return out;
  });
  if (httpFilters.length === 0 || httpFilters[httpFilters.length - 1].kind !== "router") {
    throw new BootstrapError(tc.at("http_filters"), "the last http filter must be envoy.filters.http.router (Envoy refuses a chain without a terminal filter)");
  }
  let websocket = false;
  for (const u of tc.objList("upgrade_configs")) {
    const type = u.reqStr("upgrade_type");
    if (asciiLower(type) !== "websocket") throw new BootstrapError(u.at("upgrade_type"), `upgrade type "${type}" is ${UNSUPPORTED}`);
    websocket = u.wrappedBool("enabled") ?? true;
    u.done();
  }
  // stream_idle_timeout default 5 minutes (http_connection_manager.proto); 0s disables.
  const streamIdleTimeoutMs = tc.durationMs("stream_idle_timeout") ?? 300_000;
  // max_request_headers_kb default 60 (http_connection_manager.proto).
  const maxRequestHeadersKb = tc.wrapped("max_request_headers_kb") ?? 60;
  // request_headers_timeout: disabled unless set (http_connection_manager.proto).
  const requestHeadersTimeoutMs = tc.durationMs("request_headers_timeout") ?? 0;
  // common_http_protocol_options (protocol.proto HttpProtocolOptions): idle_timeout default 1 h,
  // max_headers_count default 100.
  let idleTimeoutMs = 3_600_000;
  let maxHeadersCount = 100;
  const cp = tc.obj("common_http_protocol_options");
  if (cp) {
    idleTimeoutMs = cp.durationMs("idle_timeout") ?? idleTimeoutMs;
    maxHeadersCount = cp.wrapped("max_headers_count") ?? maxHeadersCount;
    if (maxHeadersCount < 1) throw new BootstrapError(cp.at("max_headers_count"), "must be at least 1");
    cp.done();
  }
  // http_protocol_options (protocol.proto Http1ProtocolOptions): HTTP/1.0 refused unless
  // accept_http_10; absolute-form targets allowed by default.
  let acceptHttp10 = false;
  let defaultHostForHttp10: string | undefined;
  let allowAbsoluteUrl = true;
  const hp = tc.obj("http_protocol_options");
  if (hp) {
    acceptHttp10 = hp.bool("accept_http_10") ?? false;
    defaultHostForHttp10 = hp.str("default_host_for_http_10");
    allowAbsoluteUrl = hp.wrappedBool("allow_absolute_url") ?? true;
    hp.done();
  }
  // Which address a stream's source.address is (remote-address.ts).
  const useRemoteAddress = tc.wrappedBool("use_remote_address") ?? false;
  const xffNumTrustedHops = tc.int("xff_num_trusted_hops") ?? 0;
  tc.done();
  return {
    statPrefix, routeTable, httpFilters, websocket, streamIdleTimeoutMs, maxRequestHeadersKb,
    requestHeadersTimeoutMs, idleTimeoutMs, maxHeadersCount, acceptHttp10, defaultHostForHttp10, allowAbsoluteUrl,
    useRemoteAddress, xffNumTrustedHops,
  };
}

function parseRouteTable(rc: YamlObject): RouteTableConfig {
  const t: RouteTableConfig = {
    name: rc.str("name") ?? "",
    virtualHosts: rc.objList("virtual_hosts").map(parseVirtualHost),
    requestHeadersToRemove: rc.strList("request_headers_to_remove").map((h) => asciiLower(h)),
  };
  rc.done();
  return t;
}

function parseVirtualHost(vh: YamlObject): VirtualHostConfig {
  const v: VirtualHostConfig = {
    name: vh.reqStr("name"),
    domains: vh.strList("domains").map((d) => asciiLower(d)),
    routes: vh.objList("routes").map(parseRoute),
    requestHeadersToRemove: vh.strList("request_headers_to_remove").map((h) => asciiLower(h)),
  };
  if (v.domains.length === 0) throw new BootstrapError(vh.at("domains"), "at least one domain is required");
  vh.done();
  return v;
}

const NOT_FOUND_CODES: Record<string, number> = { SERVICE_UNAVAILABLE: 503, NOT_FOUND: 404, INTERNAL_SERVER_ERROR: 500 };

function parseRoute(r: YamlObject): RouteConfig {
  const m = r.reqObj("match");
  const prefix = m.str("prefix");
  const path = m.str("path");
  if ((prefix === undefined) === (path === undefined)) throw new BootstrapError(m.path, "exactly one of prefix or path is required (other matchers are " + UNSUPPORTED + ")");
  const match = {
    prefix, path,
    caseSensitive: m.wrappedBool("case_sensitive") ?? true,
    headers: m.objList("headers").map(parseHeaderMatcher),
  };
  m.done();
  const out: RouteConfig = { path: r.path, match, requestHeadersToRemove: r.strList("request_headers_to_remove").map((h) => asciiLower(h)) };
  r.ignore("name");
  const ra = r.obj("route");
  const dr = r.obj("direct_response");
  if ((ra === undefined) === (dr === undefined)) throw new BootstrapError(r.path, "exactly one of route or direct_response is required");
  if (ra) {
    const cluster = ra.str("cluster");
    const clusterHeader = ra.str("cluster_header");
    if ((cluster === undefined) === (clusterHeader === undefined)) throw new BootstrapError(ra.path, "exactly one of cluster or cluster_header is required");
    const code = ra.enumName("cluster_not_found_response_code", ["SERVICE_UNAVAILABLE", "NOT_FOUND", "INTERNAL_SERVER_ERROR"], "SERVICE_UNAVAILABLE");
    out.route = {
      cluster, clusterHeader: clusterHeader === undefined ? undefined : asciiLower(clusterHeader),
      clusterNotFoundCode: NOT_FOUND_CODES[code],
      idleTimeoutMs: ra.durationMs("idle_timeout"),
      // route timeout default 15 s (route_components.proto RouteAction.timeout); 0 disables.
      timeoutMs: ra.durationMs("timeout") ?? 15_000,
    };
    ra.done();
  }
  if (dr) {
    const status = dr.int("status");
    if (status === undefined || status < 200 || status > 599) throw new BootstrapError(dr.at("status"), "a status 200..599 is required");
    const body = dr.obj("body");
    let text = "";
    if (body) { text = body.str("inline_string") ?? ""; body.done(); }
    out.directResponse = { status, body: text };
    dr.done();
  }
  r.done();
  return out;
}

function parseHeaderMatcher(h: YamlObject): HeaderMatcher {
  const hm: HeaderMatcher = { name: asciiLower(h.reqStr("name")), ignoreCase: false, invert: h.bool("invert_match") ?? false };
  const exactMatch = h.str("exact_match");
  if (exactMatch !== undefined) hm.exact = exactMatch;
  const present = h.bool("present_match");
  if (present !== undefined) hm.present = present;
  const sm = h.obj("string_match");
  if (sm) {
    hm.exact = sm.str("exact"); hm.prefix = sm.str("prefix"); hm.suffix = sm.str("suffix"); hm.contains = sm.str("contains");
    hm.ignoreCase = sm.bool("ignore_case") ?? false;
    const sr = sm.obj("safe_regex");
    if (sr) {
      const re = sr.reqStr("regex");
      // RE2 full match, as Envoy's CompiledGoogleReMatcher (config/re2.ts).
      try { const r2 = compileRe2(re); hm.regex = { test: (v) => r2.fullMatch(v) }; } catch (e) { throw new BootstrapError(sr.at("regex"), `invalid regex: RE2 refuses it: ${(e as Error).message}`); }
      sr.done();
    }
    sm.done();
  }
  h.done();
  return hm;
}

function parseTcpProxy(tc: YamlObject): TcpProxyConfig {
  const t: TcpProxyConfig = {
    statPrefix: tc.reqStr("stat_prefix"),
    cluster: tc.reqStr("cluster"),
    // tcp_proxy idle_timeout default 1 hour (tcp_proxy.proto); 0s disables.
    idleTimeoutMs: tc.durationMs("idle_timeout") ?? 3_600_000,
  };
  tc.done();
  return t;
}

function parseCluster(c: YamlObject): ClusterConfig {
  const name = c.reqStr("name");
  const type = c.enumName("type", ["STATIC", "STRICT_DNS", "EDS"], "STATIC");
  c.enumName("lb_policy", ["ROUND_ROBIN"], "ROUND_ROBIN");
  const cluster: ClusterConfig = {
    name, type,
    // connect_timeout default 5 s (cluster.proto).
    connectTimeoutMs: c.durationMs("connect_timeout") ?? 5000,
    endpoints: [],
    // dns_refresh_rate default 5 s (cluster.proto).
    dnsRefreshMs: c.durationMs("dns_refresh_rate") ?? 5000,
    healthChecks: c.objList("health_checks").map(parseHealthCheck),
    panicThresholdPct: 50,
    bufferLimitBytes: bufferLimit(c),
  };
  c.enumName("dns_lookup_family", ["AUTO", "V4_ONLY", "V4_PREFERRED"], "AUTO");
  const la = c.obj("load_assignment");
  if (la) cluster.endpoints = parseLoadAssignment(la);
  if (type === "EDS") {
    if (la) throw new BootstrapError(c.at("load_assignment"), "an EDS cluster takes its endpoints from eds_cluster_config, not load_assignment");
    const ecc = c.reqObj("eds_cluster_config");
    const ec = ecc.reqObj("eds_config");
    const pcs = ec.obj("path_config_source");
    let path = ec.str("path");
    if (pcs) { path = pcs.reqStr("path"); pcs.ignore("watched_directory"); pcs.done(); }
    if (!path) throw new BootstrapError(ec.path, `only path_config_source is supported by the local gateway (ads, api_config_source and others are ${UNSUPPORTED})`);
    ec.enumName("resource_api_version", ["V3", "AUTO"], "AUTO");
    ec.ignore("initial_fetch_timeout");
    ec.done();
    cluster.eds = { path, serviceName: ecc.str("service_name") ?? name };
    ecc.done();
  } else if (!la) {
    throw new BootstrapError(c.path, `a ${type} cluster needs load_assignment`);
  }
  const clc = c.obj("common_lb_config");
  if (clc) {
    // healthy_panic_threshold default 50% (cluster.proto CommonLbConfig).
    const p = clc.wrapped("healthy_panic_threshold");
    if (p !== undefined) {
      if (p < 0 || p > 100) throw new BootstrapError(clc.at("healthy_panic_threshold"), `percent ${p} is out of range 0..100`);
      cluster.panicThresholdPct = p;
    }
    clc.done();
  }
  c.done();
  return cluster;
}

export function parseLoadAssignment(la: YamlObject): SocketAddress[] {
  la.ignore("cluster_name");
  const out: SocketAddress[] = [];
  for (const lle of la.objList("endpoints")) {
    for (const lbe of lle.objList("lb_endpoints")) {
      const ep = lbe.reqObj("endpoint");
      out.push(socketAddress(ep.reqObj("address")));
      ep.ignore("hostname");
      ep.done();
      lbe.enumName("health_status", ["UNKNOWN", "HEALTHY"], "UNKNOWN");
      lbe.done();
    }
    lle.done();
  }
  la.done();
  return out;
}

function parseHealthCheck(h: YamlObject): HealthCheckConfig {
  const req = (f: string): number => {
    const v = f.endsWith("threshold") ? h.wrapped(f) : h.durationMs(f);
    if (v === undefined) throw new BootstrapError(h.at(f), "required field is missing");
    return v;
  };
  const hc: HealthCheckConfig = {
    timeoutMs: req("timeout"), intervalMs: req("interval"),
    unhealthyThreshold: req("unhealthy_threshold"), healthyThreshold: req("healthy_threshold"),
    path: "", expectedStatuses: [[200, 201]], noTrafficIntervalMs: 60_000,
  };
  const http = h.obj("http_health_check");
  if (!http) throw new BootstrapError(h.path, `only http_health_check is supported by the local gateway (tcp/grpc/custom checks are ${UNSUPPORTED})`);
  hc.path = http.reqStr("path");
  hc.host = http.str("host");
  const es = http.objList("expected_statuses");
  if (es.length) {
    hc.expectedStatuses = es.map((r) => {
      const s = r.int("start"); const e = r.int("end");
      if (s === undefined || e === undefined || s < 100 || e > 600 || s >= e) throw new BootstrapError(r.path, "start and end must form a range [start, end) within 100..600");
      r.done();
      return [s, e];
    });
  }
  http.done();
  // no_traffic_interval: Envoy checks a cluster that never carried traffic at this slower
  // interval (default 60 s, health_check.proto; HealthCheckerImplBase::interval).
  hc.noTrafficIntervalMs = h.durationMs("no_traffic_interval") ?? 60_000;
  h.done();
  return hc;
}
