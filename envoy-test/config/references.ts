// Checks beyond the schema, made the way Envoy makes them when it builds listeners and clusters
// (references between them, Wasm modules) or as the project's filters need them (the clusters
// and headers their configurations name). Each error names the YAML path at fault.
import { dig, field, get, type Obj } from "./fields.ts";
import { clusterRefs, WS_ROUTER_CLUSTER_HEADER } from "./filter-knowledge.ts";
import type { ConfigProblem, Visit } from "./schema.ts";
import { startupRuleChecks } from "./startup-rules.ts";
import type { ValidateOptions } from "./validate-options.ts";
import { checkWasmPlugin, pluginConfigurationString } from "./wasm-check.ts";
import { ENVOY_MAX_PROGRAM_SIZE, compileRe2 } from "./re2.ts";

/** Message types whose occurrences these checks read. */
export const WATCH = [
  "envoy.config.cluster.v3.Cluster",
  "envoy.config.listener.v3.Listener",
  "envoy.config.route.v3.RouteAction",
  "envoy.config.route.v3.WeightedCluster.ClusterWeight",
  "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
  "envoy.extensions.filters.http.wasm.v3.Wasm",
  "envoy.extensions.filters.network.wasm.v3.Wasm",
  "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
  "envoy.type.matcher.v3.RegexMatcher",
];

export async function semanticChecks(config: Obj, visits: Visit[], opts: ValidateOptions, errors: ConfigProblem[], warnings: ConfigProblem[]): Promise<void> {
  const of = (t: string) => visits.filter((v) => v.type === t);
  // Envoy stops at the first schema error; a plugin whose own fields are already wrong is not run,
  // so a typo (e.g. an unknown key in place of root_id) gives one error, not a second one from the module.
  const schemaErrorPaths = errors.map((e) => e.path);
  startupRuleChecks(visits, errors, warnings);
  const clusterNames = new Map<string, string>();
  for (const c of of("envoy.config.cluster.v3.Cluster")) {
    const name = field(c.value, "name");
    if (!name || typeof name.value !== "string") continue;
    if (clusterNames.has(name.value)) {
      errors.push({ path: `${c.path}.${name.key}`, message: `duplicate cluster name "${name.value}" (also at ${clusterNames.get(name.value)})` });
    } else clusterNames.set(name.value, c.path);
    const type = get(c.value, "type");
    const za = dig(c.value, c.path, ["common_lb_config", "zone_aware_lb_config"]);
    if (za && !dig(config, "", ["cluster_manager", "local_cluster_name"])) {
      warnings.push({ path: za.path, message: "zone-aware routing needs cluster_manager.local_cluster_name (Envoy ignores it otherwise)" });
    }
    if (type === "EDS" && !get(c.value, "eds_cluster_config")) {
      errors.push({ path: `${c.path}.eds_cluster_config`, message: "an EDS cluster needs eds_cluster_config.eds_config" });
    }
  }
  const dynamicClusters = !!dig(config, "", ["dynamic_resources", "cds_config"]);
  const needCluster = (path: string, name: string, what: string) => {
    if (!clusterNames.has(name) && !dynamicClusters) {
      errors.push({ path, message: `${what} "${name}" is not defined in static_resources.clusters (known: ${[...clusterNames.keys()].join(", ") || "none"})` });
    }
  };
  statsTagChecks(config, errors, warnings);
  const local = dig(config, "", ["cluster_manager", "local_cluster_name"]);
  if (local) needCluster(local.path, local.value, "local cluster");

  const listenerNames = new Map<string, string>();
  const addresses = new Map<string, string>();
  for (const l of of("envoy.config.listener.v3.Listener")) {
    const name = field(l.value, "name");
    if (name && typeof name.value === "string") {
      if (listenerNames.has(name.value)) errors.push({ path: `${l.path}.${name.key}`, message: `duplicate listener name "${name.value}" (also at ${listenerNames.get(name.value)})` });
      else listenerNames.set(name.value, l.path);
    }
    const sa = dig(l.value, l.path, ["address", "socket_address"]);
    // Port 0 asks the kernel for a free port: two such listeners do not collide.
    if (sa && Number(get(sa.value, "port_value") ?? 0) !== 0) {
      const addr = `${get(sa.value, "address")}:${get(sa.value, "port_value")}`;
      if (addresses.has(addr)) errors.push({ path: sa.path, message: `listener address ${addr} is already used by ${addresses.get(addr)}` });
      else addresses.set(addr, l.path);
    }
  }
  for (const r of of("envoy.config.route.v3.RouteAction")) {
    const c = field(r.value, "cluster");
    if (c && typeof c.value === "string") needCluster(`${r.path}.${c.key}`, c.value, "route cluster");
  }
  for (const w of of("envoy.config.route.v3.WeightedCluster.ClusterWeight")) {
    const c = field(w.value, "name");
    if (c && typeof c.value === "string") needCluster(`${w.path}.${c.key}`, c.value, "weighted cluster");
  }
  for (const t of of("envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy")) {
    const c = field(t.value, "cluster");
    if (c && typeof c.value === "string") needCluster(`${t.path}.${c.key}`, c.value, "tcp_proxy cluster");
  }
  routeHeaderChecks(visits, errors, warnings);
  const wasmOpts = { baseDir: opts.baseDir ?? process.cwd(), runModules: opts.runModules ?? true, localPath: opts.localWasmPath };
  for (const w of visits) {
    const kind = w.type === "envoy.extensions.filters.http.wasm.v3.Wasm" ? "http" : w.type === "envoy.extensions.filters.network.wasm.v3.Wasm" ? "network" : null;
    if (!kind) continue;
    {
      const cfg = dig(w.value, w.path, ["config"]);
      if (!cfg) { errors.push({ path: `${w.path}.config`, message: "a Wasm filter needs config (PluginConfig)" }); continue; }
      const rootId = String(get(cfg.value, "root_id") ?? "");
      const text = pluginConfigurationString(cfg.value);
      if (typeof text === "string" && text.trim().startsWith("{")) {
        let json: unknown;
        try { json = JSON.parse(text); } catch { json = undefined; }
        for (const ref of clusterRefs(rootId, json)) {
          needCluster(`${cfg.path}.configuration.value`, ref.cluster, `cluster named by ${rootId} configuration key ${ref.path}`);
        }
        if (rootId === "drain_signal") adminPollCheck(config, json, `${cfg.path}.configuration.value`, warnings);
      }
      const broken = schemaErrorPaths.some((p) => p === cfg.path || p.startsWith(`${cfg.path}.`));
      await checkWasmPlugin(cfg.value, cfg.path, kind, broken ? { ...wasmOpts, runModules: false } : wasmOpts, errors, warnings);
    }
  }
}

/** Every `safe_regex` is compiled by Envoy with RE2 when the config loads (regex.cc
 *  CompiledGoogleReMatcher): a pattern RE2 refuses (lookaround, backreferences, repeat counts
 *  above 1000) stops the config; a program larger than re2.max_program_size.error_level (100)
 *  too. re2js counts program size as RE2/J does, close to but not always equal to C++ RE2, so
 *  that limit is a warning here. */
export function regexChecks(visits: Visit[], errors: ConfigProblem[], warnings: ConfigProblem[]): void {
  for (const m of visits) {
    if (m.type !== "envoy.type.matcher.v3.RegexMatcher") continue;
    const re = field(m.value, "regex");
    if (!re || typeof re.value !== "string") continue;
    const path = `${m.path}.${re.key}`;
    let size: number;
    try {
      size = compileRe2(re.value).programSize;
    } catch (e) {
      errors.push({ path, message: `RE2 refuses this regex: ${(e as Error).message}` });
      continue;
    }
    if (size > ENVOY_MAX_PROGRAM_SIZE) {
      warnings.push({ path, message: `RE2 program size ${size} is over Envoy's default re2.max_program_size.error_level (${ENVOY_MAX_PROGRAM_SIZE}): Envoy refuses it unless that runtime key is raised` });
    }
  }
}

/** The header ws-router writes the cluster into (its `cluster_header`, default x-wss-cluster:
 *  filters/ws-router/README.md). A route of the same connection manager that reads another header
 *  would find no cluster on every request (503, Envoy's cluster_not_found_response_code). */
function routeHeaderChecks(visits: Visit[], errors: ConfigProblem[], warnings: ConfigProblem[]): void {
  for (const hcm of visits.filter((v) => v.type === "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager")) {
    const inside = (v: Visit) => v.path.startsWith(`${hcm.path}.`);
    const set = new Set<string>();
    let unknown = false;
    for (const w of visits.filter((v) => v.type === "envoy.extensions.filters.http.wasm.v3.Wasm" && inside(v))) {
      const cfg = get(w.value, "config");
      if (get(cfg, "root_id") !== "ws_router") continue;
      const text = pluginConfigurationString(cfg ?? {});
      let json: any;
      try { json = typeof text === "string" ? JSON.parse(text) : undefined; } catch { json = undefined; }
      if (!json || typeof json !== "object") { unknown = true; continue; } // the module reports bad JSON itself
      set.add(String(json.cluster_header ?? WS_ROUTER_CLUSTER_HEADER).toLowerCase());
    }
    if (!set.size || unknown) continue;
    for (const r of visits.filter((v) => v.type === "envoy.config.route.v3.RouteAction" && inside(v))) {
      const h = field(r.value, "cluster_header");
      if (h && typeof h.value === "string" && !set.has(h.value.toLowerCase())) {
        errors.push({ path: `${r.path}.${h.key}`, message: `ws_router in this connection manager sets the cluster in ${[...set].join(", ")}, not "${h.value}": every request would find no cluster (503)` });
      } else if (h && typeof h.value === "string") {
        // Envoy skips a plugin that failed open, and then the client's own header names the
        // cluster: any cluster, the admin cluster included (docs/config.md, default topology).
        warnings.push({ path: `${r.path}.${h.key}`, message: `cluster_header "${h.value}" lets a request reach any cluster its header names whenever ws_router did not overwrite it (a fail_open plugin is skipped): route each service cluster by an exact match on the header instead` });
      }
    }
  }
}

const socketKey = (sa: Obj | undefined): string | null =>
  sa ? `${get(sa, "address")}:${Number(get(sa, "port_value") ?? 0)}` : null;

/** drain-signal detects Envoy's own drain by polling the admin interface through `admin.cluster`
 *  (filters/drain-signal/README.md); pointed anywhere else, that detection never fires. */
function adminPollCheck(config: Obj, json: any, path: string, warnings: ConfigProblem[]): void {
  const name = json?.admin?.cluster;
  const admin = socketKey(dig(config, "", ["admin", "address", "socket_address"])?.value);
  if (typeof name !== "string" || !admin || admin.endsWith(":0")) return;
  const clusters: Obj[] = get(get(config, "static_resources"), "clusters") ?? [];
  const cluster = clusters.find((c) => get(c, "name") === name);
  if (!cluster) return; // reported as an unknown cluster
  const endpoints: string[] = [];
  for (const locality of get(get(cluster, "load_assignment"), "endpoints") ?? []) {
    for (const lb of get(locality, "lb_endpoints") ?? []) {
      const k = socketKey(dig(lb, "", ["endpoint", "address", "socket_address"])?.value);
      if (k) endpoints.push(k);
    }
  }
  // An admin on 0.0.0.0 / :: listens on every interface: any endpoint with its port reaches it.
  const wildcard = /^(0\.0\.0\.0|::):/.test(admin);
  const port = admin.slice(admin.lastIndexOf(":") + 1);
  const reaches = (e: string) => e === admin || (wildcard && e.slice(e.lastIndexOf(":") + 1) === port);
  if (endpoints.length && !endpoints.some(reaches)) {
    warnings.push({ path, message: `drain_signal polls cluster "${name}" (${endpoints.join(", ")}), which is not this Envoy's admin address ${admin}: Envoy's own drains would go unnoticed` });
  }
}

/** A tag regex must compile; without a capture group it extracts nothing
 *  (api/envoy/config/metrics/v3/stats.proto TagSpecifier.regex). Envoy compiles these with
 *  std::regex (ECMAScript grammar), close to JavaScript's. */
function statsTagChecks(config: Obj, errors: ConfigProblem[], warnings: ConfigProblem[]): void {
  const tags = dig(config, "", ["stats_config", "stats_tags"]);
  if (!Array.isArray(tags?.value)) return;
  tags.value.forEach((t: Obj, i: number) => {
    const re = field(t, "regex");
    if (!re || typeof re.value !== "string") return;
    const path = `${tags.path}[${i}].${re.key}`;
    try {
      new RegExp(re.value);
    } catch (e) {
      errors.push({ path, message: `regex does not compile: ${(e as Error).message}` });
      return;
    }
    if (!/\((?!\?)/.test(re.value.replace(/\\./g, ""))) warnings.push({ path, message: "regex has no capture group: it tags nothing" });
  });
}
