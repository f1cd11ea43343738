// envoy.filters.network.tcp_proxy: bytes both ways to one host of the cluster, half-close passed on,
// idle_timeout (default 1 h) closing both sides (source/common/tcp_proxy/tcp_proxy.cc).
// No host or a failed connect closes the downstream connection (tcp_proxy.cc onUpstreamEvent).
import type net from "node:net";
import type { TcpProxyConfig } from "./config-model.ts";
import type { Downstream, GatewayContext, TerminalFilter } from "./context.ts";
import { connectUpstream } from "./upstream.ts";

export class TcpProxy implements TerminalFilter {
  private upstream: net.Socket | null = null;
  private pending: Buffer[] = [];
  private pendingEnd = false;
  private closed = false;
  private idle: NodeJS.Timeout | null = null;

  constructor(private readonly ds: Downstream, private readonly cfg: TcpProxyConfig, private readonly ctx: GatewayContext) {
    const prefix = `tcp.${cfg.statPrefix}.`;
    ctx.stats.counter(prefix + "downstream_cx_total").inc();
    const cluster = ctx.clusters.get(cfg.cluster);
    const host = cluster?.chooseHost();
    if (!cluster || !host) {
      ctx.stats.counter(prefix + "downstream_cx_no_route").inc();
      ds.destroy();
      return;
    }
    this.arm();
    connectUpstream(cluster, host).then((sock) => {
      if (this.closed) { sock.destroy(); return; }
      this.upstream = sock;
      for (const b of this.pending) sock.write(b);
      this.pending = [];
      if (this.pendingEnd) sock.end();
      sock.on("data", (d: Buffer) => { this.arm(); this.ds.write(d); });
      sock.on("end", () => this.ds.end());
      sock.on("error", () => { /* close follows */ });
      sock.on("close", (hadError) => { if (hadError) this.ds.destroy(); else this.ds.end(); });
    }, () => {
      ctx.stats.counter(prefix + "upstream_connect_fail").inc();
      this.ds.destroy();
    });
  }

  private arm(): void {
    if (this.idle) clearTimeout(this.idle);
    if (this.cfg.idleTimeoutMs > 0) this.idle = setTimeout(() => {
      this.ctx.stats.counter(`tcp.${this.cfg.statPrefix}.idle_timeout`).inc();
      this.upstream?.destroy();
      this.ds.destroy();
    }, this.cfg.idleTimeoutMs);
  }

  onData(data: Buffer): void {
    this.arm();
    if (this.upstream) this.upstream.write(data);
    else this.pending.push(data);
  }

  onEnd(): void {
    if (this.upstream) this.upstream.end();
    else this.pendingEnd = true;
  }

  onClose(): void {
    this.closed = true;
    if (this.idle) clearTimeout(this.idle);
    this.upstream?.destroy();
  }
}
