// What the validator knows about this project's filters' JSON configurations: which keys name
// Envoy clusters (they must exist, as Envoy's own cluster references must). Keyed by root id.
// The shapes belong to the filters (filters/<name>/config.ts and README.md); this table only
// lists the keys that hold cluster names.
import type { Obj } from "./fields.ts";

export interface ClusterRef { path: string; cluster: string }

/** ws-router's default `cluster_header` (filters/ws-router/config.ts RouterConfig.clusterHeader,
 *  the module's own copy: test/host/filters/ws-router/config.test.ts checks they agree). */
export const WS_ROUTER_CLUSTER_HEADER = "x-wss-cluster";

function walk(v: unknown, path: string, keys: Set<string>, out: ClusterRef[]): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => walk(x, `${path}[${i}]`, keys, out));
  } else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v as Obj)) {
      const p = path ? `${path}.${k}` : k;
      if (keys.has(k) && typeof x === "string") out.push({ path: p, cluster: x });
      else if (keys.has(k) && Array.isArray(x) && x.every((s) => typeof s === "string")) {
        x.forEach((s, i) => out.push({ path: `${p}[${i}]`, cluster: s }));
      } else walk(x, p, keys, out);
    }
  }
}

/** Keys, anywhere in the filter's JSON, whose string (or string list) value is a cluster name. */
// filters/ws-router/config.ts: services[].cluster, services[].shard.clusters[];
// filters/drain-signal/config.ts: admin.cluster (the tick's callouts to Envoy's admin).
export const CLUSTER_KEYS: Record<string, string[]> = {
  ws_router: ["cluster", "clusters"],
  drain_signal: ["cluster"],
};

/** The cluster names a filter's configuration refers to, with their path inside the JSON. */
export function clusterRefs(rootId: string, config: unknown): ClusterRef[] {
  const keys = CLUSTER_KEYS[rootId];
  if (!keys) return [];
  const out: ClusterRef[] = [];
  walk(config, "", new Set(keys), out);
  return out;
}
