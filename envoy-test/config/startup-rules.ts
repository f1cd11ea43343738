// Start-up rules Envoy applies to filter chains and Wasm VMs that the protos do not express:
// - a terminal filter must be last, and the last filter must be terminal, in every network filter
//   chain, HTTP filter chain and upgrade filter chain (source/common/config/utility.h
//   Config::Utility::validateTerminalFilters, called by the listener manager and the HCM config:
//   "Error: terminal filter named X of type Y must be the last filter in a http filter chain.");
// - HTTP filter names are not required to be unique (Envoy accepts two filters of one name, as the
//   default topology's three envoy.filters.http.wasm do), but a route's typed_per_filter_config
//   finds its filter by name, so an override naming a repeated name is warned about.
// Not a rule: plugins that share a vm_id but load different code. cpp-host keys VMs by vm_id +
// vm configuration + code (src/wasm.cc createWasm, makeVmKey), so they run in separate VMs that
// share the vm_id's shared data and queues (src/shared_data.cc): the filters here rely on it.
import { dig, field, get, type Obj } from "./fields.ts";
import { lookupEnvoyType } from "./protos.ts";
import type { ConfigProblem, Visit } from "./schema.ts";

// Factories whose isTerminalFilter() is true (network: HCM, tcp_proxy and the other proxies that
// end a chain; HTTP: the router). Types not listed in either set are not judged.
const TERMINAL = new Set([
  "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
  "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
  "envoy.extensions.filters.network.direct_response.v3.Config",
  "envoy.extensions.filters.network.echo.v3.Echo",
  "envoy.extensions.filters.network.redis_proxy.v3.RedisProxy",
  "envoy.extensions.filters.network.thrift_proxy.v3.ThriftProxy",
  "envoy.extensions.filters.network.dubbo_proxy.v3.DubboProxy",
  "envoy.extensions.filters.http.router.v3.Router",
]);
const NON_TERMINAL_PREFIXES = [
  "envoy.extensions.filters.http.", "envoy.extensions.filters.network.wasm.", "envoy.extensions.filters.network.rbac.",
  "envoy.extensions.filters.network.local_ratelimit.", "envoy.extensions.filters.network.ext_authz.",
];

/** The message type a filter's typed_config names, or null (ECDS config_discovery, no @type). */
function filterType(f: Obj): string | null {
  const url = get(f, "typed_config")?.["@type"];
  return typeof url === "string" ? url.slice(url.lastIndexOf("/") + 1) : null;
}

function isTerminal(type: string): boolean | null {
  if (!lookupEnvoyType(type)) return null; // an unknown type is the schema's error
  if (TERMINAL.has(type)) return true;
  if (NON_TERMINAL_PREFIXES.some((p) => type.startsWith(p))) return false;
  return null;
}

/** Envoy's factory name for a config type: envoy.extensions.filters.http.router.v3.Router -> envoy.filters.http.router. */
function factoryName(type: string): string {
  return type.replace(/^envoy\.extensions\./, "envoy.").replace(/\.v\d+(alpha)?\.[A-Za-z]+$/, "");
}

/** Envoy checks each filter in order and stops at the first failure: one error per chain. */
function checkChain(filters: unknown, path: string, chain: "network" | "http" | "http upgrade", errors: ConfigProblem[]): void {
  if (!Array.isArray(filters)) return;
  for (let i = 0; i < filters.length; i++) {
    const f = filters[i] as Obj;
    const type = filterType(f);
    if (!type) continue;
    const terminal = isTerminal(type);
    const last = i === filters.length - 1;
    const name = String(get(f, "name") ?? "");
    if (terminal === true && !last) {
      errors.push({ path: `${path}[${i}]`, message: `terminal filter named ${name} of type ${factoryName(type)} must be the last filter in a ${chain} filter chain` });
      return;
    }
    if (terminal === false && last) {
      errors.push({ path: `${path}[${i}]`, message: `non-terminal filter named ${name} of type ${factoryName(type)} is the last filter in a ${chain} filter chain (end it with ${chain === "network" ? "a terminal filter such as envoy.filters.network.tcp_proxy" : "envoy.filters.http.router"})` });
      return;
    }
  }
}

export function startupRuleChecks(visits: Visit[], errors: ConfigProblem[], warnings: ConfigProblem[]): void {
  for (const l of visits.filter((v) => v.type === "envoy.config.listener.v3.Listener")) {
    const chains = field(l.value, "filter_chains");
    if (Array.isArray(chains?.value)) {
      chains.value.forEach((c: Obj, i: number) => {
        const f = field(c, "filters");
        if (f) checkChain(f.value, `${l.path}.${chains.key}[${i}].${f.key}`, "network", errors);
      });
    }
    const dflt = dig(l.value, l.path, ["default_filter_chain", "filters"]);
    if (dflt) checkChain(dflt.value, dflt.path, "network", errors);
  }
  for (const h of visits.filter((v) => v.type === "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager")) {
    const hf = field(h.value, "http_filters");
    if (hf) {
      checkChain(hf.value, `${h.path}.${hf.key}`, "http", errors);
      duplicateNames(hf.value, `${h.path}.${hf.key}`, h, warnings);
    }
    const up = field(h.value, "upgrade_configs");
    if (Array.isArray(up?.value)) {
      up.value.forEach((u: Obj, i: number) => {
        const f = field(u, "filters");
        // An empty list means "the HCM's own http_filters" (HttpConnectionManager.UpgradeConfig.filters).
        if (f && Array.isArray(f.value) && f.value.length) checkChain(f.value, `${h.path}.${up.key}[${i}].${f.key}`, "http upgrade", errors);
      });
    }
  }
}

/** typed_per_filter_config keys of the HCM's inline routes (virtual hosts, routes, weighted clusters). */
function perFilterConfigNames(hcm: Obj): Map<string, string> {
  const out = new Map<string, string>();
  const note = (o: Obj, path: string) => {
    const t = field(o, "typed_per_filter_config");
    if (t && t.value && typeof t.value === "object") for (const k of Object.keys(t.value)) if (!out.has(k)) out.set(k, `${path}.${t.key}.${k}`);
  };
  const rc = dig(hcm, "", ["route_config"]);
  const vhs = field(rc?.value, "virtual_hosts");
  if (!rc || !Array.isArray(vhs?.value)) return out;
  vhs.value.forEach((vh: Obj, i: number) => {
    const vp = `${rc.path}.${vhs.key}[${i}]`;
    note(vh, vp);
    const routes = field(vh, "routes");
    if (Array.isArray(routes?.value)) routes.value.forEach((r: Obj, j: number) => note(r, `${vp}.${routes.key}[${j}]`));
  });
  return out;
}

function duplicateNames(filters: unknown, path: string, hcm: Visit, warnings: ConfigProblem[]): void {
  if (!Array.isArray(filters)) return;
  const overrides = perFilterConfigNames(hcm.value);
  const seen = new Map<string, number>();
  filters.forEach((f: Obj, i: number) => {
    const name = get(f, "name");
    if (typeof name !== "string") return;
    const first = seen.get(name);
    if (first === undefined) { seen.set(name, i); return; }
    const at = overrides.get(name);
    if (at) warnings.push({ path: `${path}[${i}].name`, message: `HTTP filter name "${name}" is also used by ${path}[${first}], and ${hcm.path}.${at} overrides "${name}" per route: Envoy cannot tell the two filters apart there` });
  });
}
