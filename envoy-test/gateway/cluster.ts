// Upstream clusters: host sets, round robin, panic threshold, per-host counters.
// Mirrors source/common/upstream/upstream_impl.cc (HostSetImpl, ClusterInfoImpl stats),
// source/common/upstream/load_balancer_impl.cc (LoadBalancerBase::isHostSetInPanic,
// RoundRobinLoadBalancer) and cluster stat names (docs: config/upstream/cluster_manager/cluster_stats).
import { lookup } from "node:dns/promises";
import type { Stats } from "../host/index.ts";
import type { ClusterConfig, SocketAddress } from "./config-model.ts";
import { HealthChecker } from "./health-checker.ts";
import { EdsFileWatcher } from "./eds-file.ts";
import { UpstreamHost, type ClusterLog } from "./upstream-host.ts";

export { UpstreamHost, type ClusterLog } from "./upstream-host.ts";

export class Cluster {
  hosts: UpstreamHost[] = [];
  private rr = 0;
  /** Envoy health checks a cluster at no_traffic_interval until it first carries traffic. */
  hadTraffic = false;
  readonly healthChecker: HealthChecker | null;
  private eds: EdsFileWatcher | null = null;
  private dnsTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(readonly config: ClusterConfig, readonly stats: Stats, private readonly log: ClusterLog) {
    this.healthChecker = config.healthChecks.length ? new HealthChecker(this, config.healthChecks[0], log) : null;
    for (const n of ["upstream_cx_total", "upstream_cx_connect_fail", "upstream_cx_connect_timeout", "upstream_rq_total",
      "lb_healthy_panic", "upstream_cx_none_healthy", "update_success", "update_attempt", "update_rejected", "update_empty"]) this.counter(n);
    for (const n of ["upstream_cx_active", "upstream_rq_active", "membership_total", "membership_healthy"]) this.gauge(n);
  }

  get name(): string { return this.config.name; }
  counter(n: string) { return this.stats.counter(`cluster.${this.name}.${n}`); }
  gauge(n: string) { return this.stats.gauge(`cluster.${this.name}.${n}`); }

  async start(): Promise<void> {
    if (this.config.type === "STATIC") this.setHosts(this.config.endpoints);
    else if (this.config.type === "STRICT_DNS") {
      await this.resolveDns();
      const tick = (): void => {
        if (this.closed) return;
        this.resolveDns().finally(() => { if (!this.closed) this.dnsTimer = setTimeout(tick, this.config.dnsRefreshMs); });
      };
      this.dnsTimer = setTimeout(tick, this.config.dnsRefreshMs);
    } else if (this.config.eds) {
      this.eds = new EdsFileWatcher(this.config.eds.path, this.config.eds.serviceName, this.name, {
        onUpdate: (endpoints) => { this.counter("update_success").inc(); this.setHosts(endpoints); },
        onEmpty: () => this.counter("update_empty").inc(),
        onReject: (why) => { this.counter("update_rejected").inc(); this.log("warn", `cluster ${this.name}: EDS update rejected: ${why}`); },
        onAttempt: () => this.counter("update_attempt").inc(),
      });
      this.eds.start();
    }
    this.healthChecker?.start();
  }

  /** STRICT_DNS: every resolved address is a host (strict_dns_cluster.cc). */
  private async resolveDns(): Promise<void> {
    const out: SocketAddress[] = [];
    for (const ep of this.config.endpoints) {
      try {
        const addrs = await lookup(ep.address, { all: true, family: 4 });
        for (const a of addrs) out.push({ address: a.address, port: ep.port });
      } catch (e) {
        this.log("warn", `cluster ${this.name}: DNS resolution of ${ep.address} failed: ${(e as Error).message}`);
        return; // Envoy keeps the previous hosts on a failed resolution
      }
    }
    if (!this.closed) this.setHosts(out);
  }

  /**
   * Replaces the host set. Hosts present before keep their object (health state, counters, open
   * connections); removed hosts get no new connections, while connections already open to them
   * stay up (Envoy does not close them on an EDS update unless drain_connections_on_host_removal).
   */
  setHosts(endpoints: SocketAddress[]): void {
    const byKey = new Map(this.hosts.map((h) => [h.key, h]));
    const next: UpstreamHost[] = [];
    const seen = new Set<string>();
    for (const ep of endpoints) {
      const key = `${ep.address}:${ep.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      next.push(byKey.get(key) ?? new UpstreamHost(ep.address, ep.port, this.healthChecker !== null));
    }
    for (const h of this.hosts) if (!seen.has(h.key)) h.removed = true;
    this.hosts = next;
    this.healthChecker?.syncHosts(next);
    this.updateMembership();
  }

  updateMembership(): void {
    this.gauge("membership_total").set(this.hosts.length);
    this.gauge("membership_healthy").set(this.hosts.filter((h) => h.healthy).length);
  }

  /**
   * Round robin over healthy hosts; when the healthy share is below healthy_panic_threshold,
   * over all hosts (load_balancer_impl.cc isHostSetInPanic: healthy% < threshold; threshold 0
   * disables panic). No host at all: null ("no healthy upstream").
   */
  chooseHost(): UpstreamHost | null {
    this.hadTraffic = true;
    const all = this.hosts;
    if (all.length === 0) { this.counter("upstream_cx_none_healthy").inc(); return null; }
    const healthy = all.filter((h) => h.healthy);
    const pct = (100 * healthy.length) / all.length;
    let pool = healthy;
    if (this.config.panicThresholdPct > 0 && pct < this.config.panicThresholdPct) {
      this.counter("lb_healthy_panic").inc();
      pool = all;
    }
    if (pool.length === 0) { this.counter("upstream_cx_none_healthy").inc(); return null; }
    const h = pool[this.rr % pool.length];
    this.rr = (this.rr + 1) % 1_000_000_007;
    return h;
  }

  close(): void {
    this.closed = true;
    if (this.dnsTimer) clearTimeout(this.dnsTimer);
    this.eds?.close();
    this.healthChecker?.close();
  }
}
