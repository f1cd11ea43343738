// Active HTTP health checking, as source/extensions/health_checkers/http/health_checker_impl.cc and
// source/common/upstream/health_checker_impl.cc (HealthCheckerImplBase) do it:
// - a new host starts FAILED_ACTIVE_HC and is checked at once; its first success makes it healthy;
// - afterwards unhealthy_threshold consecutive failures mark it unhealthy and healthy_threshold
//   consecutive successes mark it healthy again;
// - the interval is no_traffic_interval until the cluster carries traffic, then interval;
// - request: GET <path>, host = http_health_check.host or the cluster name, user-agent Envoy/HC;
//   success = status inside expected_statuses (default [200, 201)); timeout = failure.
import http from "node:http";
import type { HealthCheckConfig } from "./config-model.ts";
import type { Counter, Gauge } from "../host/index.ts";
import type { ClusterLog, UpstreamHost } from "./upstream-host.ts";

/** What the health checker needs of its cluster (Envoy's HealthCheckerImplBase holds the
 *  cluster's host sets and stats the same way). */
export interface CheckedCluster {
  readonly name: string;
  readonly hosts: UpstreamHost[];
  readonly hadTraffic: boolean;
  counter(name: string): Counter;
  gauge(name: string): Gauge;
  /** Recounts the membership gauges after a host changed health. */
  updateMembership(): void;
}

class Session {
  private timer: NodeJS.Timeout | null = null;
  private firstCheck = true;
  private successes = 0;
  private failures = 0;
  private req: http.ClientRequest | null = null;
  stopped = false;

  constructor(readonly host: UpstreamHost, private readonly hc: HealthChecker) {}

  start(): void { this.run(); }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => this.run(), this.hc.intervalMs());
  }

  private run(): void {
    if (this.stopped) return;
    const cfg = this.hc.config;
    this.hc.cluster.counter("health_check.attempt").inc();
    let settled = false;
    const finish = (ok: boolean, network: boolean): void => {
      if (settled || this.stopped) return;
      settled = true;
      this.req = null;
      this.result(ok, network);
      this.schedule();
    };
    const req = http.request({
      host: this.host.address, port: this.host.port, method: "GET", path: cfg.path, agent: false,
      headers: { host: cfg.host ?? this.hc.cluster.name, "user-agent": "Envoy/HC", connection: "close" },
    }, (res) => {
      const s = res.statusCode ?? 0;
      res.resume();
      finish(cfg.expectedStatuses.some(([a, b]) => s >= a && s < b), false);
    });
    this.req = req;
    req.setTimeout(cfg.timeoutMs, () => { req.destroy(); finish(false, true); });
    req.on("error", () => finish(false, true));
    req.end();
  }

  private result(ok: boolean, network: boolean): void {
    const c = this.hc.cluster;
    const h = this.host;
    const before = h.healthy;
    if (ok) {
      c.counter("health_check.success").inc();
      this.failures = 0;
      if (h.failedActiveHc && (this.firstCheck || ++this.successes >= this.hc.config.healthyThreshold)) {
        h.failedActiveHc = false;
        this.successes = 0;
      }
    } else {
      c.counter("health_check.failure").inc();
      if (network) c.counter("health_check.network_failure").inc();
      this.successes = 0;
      if (!h.failedActiveHc && ++this.failures >= this.hc.config.unhealthyThreshold) {
        h.failedActiveHc = true;
        this.failures = 0;
      }
    }
    this.firstCheck = false;
    if (before !== h.healthy) {
      this.hc.log("info", `cluster ${c.name}: host ${h.key} is now ${h.healthy ? "healthy" : "unhealthy"}`);
      c.updateMembership();
      this.hc.updateHealthyGauge();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.req?.destroy();
  }
}

export class HealthChecker {
  private sessions = new Map<UpstreamHost, Session>();
  private started = false;
  constructor(readonly cluster: CheckedCluster, readonly config: HealthCheckConfig, readonly log: ClusterLog) {}

  intervalMs(): number { return this.cluster.hadTraffic ? this.config.intervalMs : this.config.noTrafficIntervalMs; }

  start(): void {
    this.started = true;
    this.syncHosts(this.cluster.hosts);
  }

  syncHosts(hosts: UpstreamHost[]): void {
    if (!this.started) return;
    const live = new Set(hosts);
    for (const [h, s] of this.sessions) if (!live.has(h)) { s.stop(); this.sessions.delete(h); }
    for (const h of hosts) if (!this.sessions.has(h)) {
      const s = new Session(h, this);
      this.sessions.set(h, s);
      s.start();
    }
    this.updateHealthyGauge();
  }

  updateHealthyGauge(): void {
    this.cluster.gauge("health_check.healthy").set(this.cluster.hosts.filter((h) => h.healthy).length);
  }

  close(): void {
    for (const s of this.sessions.values()) s.stop();
    this.sessions.clear();
  }
}
