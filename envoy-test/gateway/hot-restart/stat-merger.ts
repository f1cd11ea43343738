// Stats across a hot restart, as Envoy moves them from the parent to the child:
// - the parent answers a stats request with every counter's delta since its last answer
//   (HotRestartingParent::Internal::exportStatsToChild: counter->latch()) and every gauge's value;
// - the child adds the counter deltas to its own counters (StatMerger::mergeCounters), so a
//   counter continues across the restart;
// - a gauge in NeverImport mode is skipped; any other gauge carries the parent's latest value on
//   top of the child's own (StatMerger::mergeGauges, Gauge::setParentValue), so an Accumulate
//   gauge shows parent + child while the parent lives;
// - when the child terminates the parent, every parent contribution is removed at once
//   (StatMerger::~StatMerger: setParentValue(0)).
// Import modes are those Envoy declares (envoy/stats/stats.h Gauge::ImportMode): the server,
// listener-manager, cluster-membership and health-check gauges below are NeverImport
// (source/server/server.h ALL_SERVER_STATS, source/common/listener_manager/listener_manager_impl.h
// ALL_LISTENER_MANAGER_STATS, envoy/upstream/upstream.h ALL_CLUSTER_STATS,
// source/common/upstream/health_checker_impl.h ALL_HEALTH_CHECKER_STATS); every other gauge the
// gateway keeps, and every Wasm-defined gauge (source/extensions/common/wasm/context.cc
// Context::defineMetric), is Accumulate.
import type { Stats } from "../../host/index.ts";

export type ImportMode = "Accumulate" | "NeverImport";

const NEVER_IMPORT_EXACT = new Set([
  "server.concurrency", "server.days_until_first_cert_expiring", "server.hot_restart_epoch", "server.live",
  "server.seconds_until_first_ocsp_response_expiring", "server.state", "server.stats_recent_lookups", "server.version",
  "listener_manager.total_filter_chains_draining", "listener_manager.total_listeners_active",
  "listener_manager.total_listeners_draining", "listener_manager.total_listeners_warming", "listener_manager.workers_started",
]);
const NEVER_IMPORT_CLUSTER = /^cluster\.[^.]+(\.[^.]+)*\.(membership_healthy|membership_degraded|membership_excluded|membership_total|max_host_weight|version|health_check\.healthy|health_check\.degraded)$/;

export function importMode(gaugeName: string): ImportMode {
  if (NEVER_IMPORT_EXACT.has(gaugeName)) return "NeverImport";
  if (gaugeName.startsWith("cluster.") && NEVER_IMPORT_CLUSTER.test(gaugeName)) return "NeverImport";
  return "Accumulate";
}

/** What the parent sends for one stats request (HotRestartMessage.Reply.Stats). */
export interface ParentStats {
  counterDeltas: Record<string, number>;
  gauges: Record<string, number>;
  memoryAllocated: number;
  numConnections: number;
}

/** The parent side: counters are latched, so each export carries only what changed since. */
export class StatExporter {
  private readonly latched = new Map<string, number>();
  constructor(private readonly stats: Stats) {}

  export(numConnections: number): ParentStats {
    const counterDeltas: Record<string, number> = {};
    const gauges: Record<string, number> = {};
    for (const s of this.stats.all()) {
      if (s.type === "counter") {
        const delta = s.value - (this.latched.get(s.name) ?? 0);
        this.latched.set(s.name, s.value);
        if (delta > 0) counterDeltas[s.name] = delta;
      } else if (s.type === "gauge") {
        gauges[s.name] = s.value;
      }
    }
    return { counterDeltas, gauges, memoryAllocated: process.memoryUsage().heapUsed, numConnections };
  }
}

/** The child side. */
export class StatMerger {
  private readonly parentGauges = new Map<string, number>();
  constructor(private readonly stats: Stats) {}

  merge(p: ParentStats): void {
    for (const [name, delta] of Object.entries(p.counterDeltas)) {
      if (this.stats.typeOf(name) && this.stats.typeOf(name) !== "counter") continue;
      this.stats.counter(name).inc(delta);
    }
    for (const [name, value] of Object.entries(p.gauges)) {
      if (importMode(name) === "NeverImport") continue;
      if (this.stats.typeOf(name) && this.stats.typeOf(name) !== "gauge") continue;
      const old = this.parentGauges.get(name) ?? 0;
      this.parentGauges.set(name, value);
      this.stats.gauge(name).add(value - old);
    }
  }

  /** The parent's contribution to one gauge (0 when none). */
  parentValue(name: string): number { return this.parentGauges.get(name) ?? 0; }

  /** The parent is gone: its share of every gauge goes. */
  clear(): void {
    for (const [name, value] of this.parentGauges) this.stats.gauge(name).sub(value);
    this.parentGauges.clear();
  }
}
