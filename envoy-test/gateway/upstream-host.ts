// One upstream host of a cluster and its counters (Envoy's HostImpl and HostStats,
// source/common/upstream/upstream_impl.cc). Its own module so that the cluster and the health
// checker, which both hold hosts, do not import each other.

export class UpstreamHost {
  /** Envoy's FAILED_ACTIVE_HC flag; a new host of a health-checked cluster starts with it set. */
  failedActiveHc: boolean;
  removed = false;
  cxTotal = 0; cxActive = 0; cxConnectFail = 0; rqTotal = 0; rqActive = 0; rqSuccess = 0; rqError = 0;
  constructor(readonly address: string, readonly port: number, healthChecked: boolean) {
    this.failedActiveHc = healthChecked;
  }
  get key(): string { return `${this.address}:${this.port}`; }
  get healthy(): boolean { return !this.failedActiveHc; }
}

export type ClusterLog = (level: "info" | "warn" | "error", msg: string) => void;
