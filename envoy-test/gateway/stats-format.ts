// Admin /stats output formats, after source/server/admin/stats_render.cc (StatsTextRender,
// StatsJsonRender), source/server/admin/prometheus_stats.cc (PrometheusStatsFormatter:
// metric names "envoy_" + sanitised tag-extracted name; custom stat namespaces such as Wasm's
// "wasmcustom" lose that prefix and get no "envoy_" prefix) and source/common/stats/tag_producer_impl.cc
// with the default extractors of source/common/config/well_known_names.cc (a subset, below).
import type { Stats } from "../host/index.ts";
import type { StatsTag } from "./config-model.ts";

interface StatRow { name: string; type: "counter" | "gauge" | "histogram"; value: number; values?: number[] }

/** Default tag extractors Envoy applies to the names the gateway produces (well_known_names.cc). */
const DEFAULT_TAGS: StatsTag[] = [
  { name: "envoy.cluster_name", regex: /^cluster\.((.+?)\.)/ },
  { name: "envoy.http_conn_manager_prefix", regex: /^http\.((.*?)\.)/ },
  { name: "envoy.tcp_prefix", regex: /^tcp\.((.*?)\.)/ },
  { name: "envoy.listener_address", regex: /^listener\.(((?:[_.\d]*|[_\[\]aAbBcCdDeEfF\d]*))\.)/ },
];

const CUSTOM_NAMESPACES = ["wasmcustom"];
const QUANTILES = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100];
// Envoy's default histogram buckets (source/common/stats/histogram_impl.cc, defaultBuckets).
const BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

/** A stats name filter (admin /stats?filter=: an RE2 partial match, admin.ts). */
export interface StatFilter { test(name: string): boolean }

function rows(stats: Stats, filter?: StatFilter, usedOnly = false): StatRow[] {
  return stats.all().filter((s) => (!filter || filter.test(s.name)) && (!usedOnly || s.value !== 0));
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1));
  return sorted[idx];
}

export function renderText(stats: Stats, filter?: StatFilter, usedOnly = false): string {
  let out = "";
  for (const s of rows(stats, filter, usedOnly)) {
    if (s.type !== "histogram") { out += `${s.name}: ${s.value}\n`; continue; }
    const v = [...(s.values ?? [])].sort((a, b) => a - b);
    if (v.length === 0) { out += `${s.name}: No recorded values\n`; continue; }
    out += `${s.name}: ${QUANTILES.map((q) => `P${q}(nan,${quantile(v, q)})`).join(" ")}\n`;
  }
  return out;
}

export function renderJson(stats: Stats, filter?: StatFilter, usedOnly = false): string {
  const list: unknown[] = [];
  const hist: { name: string; values: { interval: null; cumulative: number | null }[] }[] = [];
  for (const s of rows(stats, filter, usedOnly)) {
    if (s.type === "histogram") {
      const v = [...(s.values ?? [])].sort((a, b) => a - b);
      hist.push({ name: s.name, values: QUANTILES.map((q) => ({ interval: null, cumulative: v.length ? quantile(v, q) : null })) });
    } else list.push({ name: s.name, value: s.value });
  }
  if (hist.length) list.push({ histograms: { supported_quantiles: QUANTILES, computed_quantiles: hist } });
  return JSON.stringify({ stats: list }, null, 1);
}

/** Splits a stat name into its tag-extracted name and tags (user stats_tags first, then defaults). */
export function extractTags(name: string, userTags: StatsTag[]): { name: string; tags: [string, string][] } {
  let rest = name;
  const tags: [string, string][] = [];
  for (const t of [...userTags, ...DEFAULT_TAGS]) {
    if (t.fixedValue !== undefined) { tags.push([t.name, t.fixedValue]); continue; }
    const m = t.regex!.exec(rest);
    if (!m || m[1] === undefined) continue;
    const value = m[2] ?? m[1];
    tags.push([t.name, value]);
    const at = m.index + m[0].indexOf(m[1]);
    rest = rest.slice(0, at) + rest.slice(at + m[1].length);
    rest = rest.replace(/\.\./g, ".").replace(/\.$/, "");
  }
  return { name: rest, tags };
}

const sanitize = (s: string): string => s.replace(/[^a-zA-Z0-9_]/g, "_");
const labelName = (s: string): string => sanitize(s).replace(/^envoy_?/, "envoy_");
const escapeLabel = (v: string): string => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

function metricName(extracted: string): string {
  for (const ns of CUSTOM_NAMESPACES) if (extracted.startsWith(`${ns}.`)) return sanitize(extracted.slice(ns.length + 1));
  return `envoy_${sanitize(extracted)}`;
}

export function renderPrometheus(stats: Stats, userTags: StatsTag[], filter?: StatFilter, usedOnly = false): string {
  const groups = new Map<string, { type: string; lines: string[] }>();
  for (const s of rows(stats, filter, usedOnly)) {
    const { name, tags } = extractTags(s.name, userTags);
    const metric = metricName(name);
    const labels = tags.map(([k, v]) => `${k.startsWith("envoy.") ? labelName(k) : sanitize(k)}="${escapeLabel(v)}"`);
    const g = groups.get(metric) ?? { type: s.type, lines: [] };
    groups.set(metric, g);
    const lbl = (extra: string[] = []): string => {
      const all = [...labels, ...extra];
      return all.length ? `{${all.join(",")}}` : "";
    };
    if (s.type !== "histogram") { g.lines.push(`${metric}${lbl()} ${s.value}`); continue; }
    const v = s.values ?? [];
    for (const b of BUCKETS) g.lines.push(`${metric}_bucket${lbl([`le="${b}"`])} ${v.filter((x) => x <= b).length}`);
    g.lines.push(`${metric}_bucket${lbl(['le="+Inf"'])} ${v.length}`);
    g.lines.push(`${metric}_sum${lbl()} ${v.reduce((a, b) => a + b, 0)}`);
    g.lines.push(`${metric}_count${lbl()} ${v.length}`);
  }
  let out = "";
  for (const [metric, g] of [...groups].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    out += `# TYPE ${metric} ${g.type}\n${g.lines.join("\n")}\n`;
  }
  return out;
}
