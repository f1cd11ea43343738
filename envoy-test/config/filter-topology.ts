// `proxy-wasm-as config --listen --upstream --filter ...`: one listener running a project's own
// HTTP Wasm filters, in order, before the router, which sends everything to one upstream cluster.
import { basename } from "node:path";
import { EnvoyConfig, type Address } from "./builder.ts";

export interface FilterSpec {
  /** the module as the proxy opens it (relative to the proxy's working directory, or absolute) */
  wasm: string;
  /** default: the file name without .wasm, "-" as "_" (the scaffold's convention) */
  rootId?: string;
  /** the plugin configuration, passed as the bare string (StringValue) */
  configuration?: string;
  /** PluginConfig.name (default: the file name without .wasm) */
  name?: string;
  vmId?: string;
  failOpen?: boolean;
}

export interface FilterTopologyOptions {
  listen: Address;
  upstream: Address;
  filters: FilterSpec[];
  /** upgrade_configs websocket on the connection manager, and no route timeout */
  websocket?: boolean;
  admin?: Address;
}

/** "HOST:PORT" (IPv6 as "[::1]:PORT") -> Address; `what` names the flag in the error. */
export function parseAddress(s: string, what: string): Address {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`${what}: "${s}" is not HOST:PORT (port 0-65535)`);
  return { host: m[1] ?? m[2], port };
}

export function filterTopology(o: FilterTopologyOptions): EnvoyConfig {
  // Module paths are kept as given (wasmDir ""), as Envoy opens vm_config.code.local.filename.
  const cfg = new EnvoyConfig({ wasmDir: "" });
  if (o.admin) cfg.admin(o.admin);
  const names = new Set<string>();
  const httpFilters = o.filters.map((f) => {
    const stem = basename(f.wasm).replace(/\.wasm$/, "");
    let name = f.name ?? stem;
    for (let i = 2; names.has(name) && f.name === undefined; i++) name = `${stem}-${i}`;
    names.add(name);
    return { name, module: f.wasm, rootId: f.rootId ?? stem.replace(/-/g, "_"), vmId: f.vmId,
      configuration: f.configuration, failOpen: f.failOpen };
  });
  cfg.httpListener({
    name: "main", address: o.listen, statPrefix: "main", httpFilters, websocket: !!o.websocket,
    routes: [{ prefix: "/", cluster: "upstream", ...(o.websocket ? { timeout: "0s" } : {}) }],
  });
  cfg.cluster({ name: "upstream", endpoints: [o.upstream], connectTimeout: "1s" });
  return cfg;
}
