// envoy.filters.http.router, the last decoder filter (source/common/router/router.cc Filter):
// takes the route the HCM stream chose (honouring its route cache), picks the cluster and a host,
// answers what cannot be routed with Envoy's local replies (404 no route, the configured code for
// an unknown cluster, 503 no healthy upstream, direct_response), finalizes the request headers,
// runs one UpstreamRequest and its route timeout, and passes the backend's response back. It talks
// to the stream only through RouterCallbacks (Envoy's StreamDecoderFilterCallbacks, narrowed).
import type { HeaderList } from "../host/index.ts";
import type { Cluster, UpstreamHost } from "./cluster.ts";
import type { HcmConfig } from "./config-model.ts";
import type { GatewayContext } from "./context.ts";
import { headerValue, serializeRequestHead } from "./http1.ts";
import type { RouteMatch } from "./route-table.ts";
import { HOP_BY_HOP, UpstreamRequest } from "./upstream-request.ts";

export interface RouterCallbacks {
  readonly isUpgrade: boolean;
  readonly method: string;
  readonly requestChunked: boolean;
  readonly hcm: HcmConfig;
  readonly ctx: GatewayContext;
  /** response headers reached the client (a local reply is then a reset) */
  readonly responseStarted: boolean;
  stat(name: string): { inc(n?: number): void };
  /** the route's idle_timeout replaces the stream's stream_idle_timeout */
  setIdleTimeout(ms: number): void;
  /** bytes moved: the stream idle timer restarts */
  onActivity(): void;
  sendLocalReply(status: number, body: string, details: string): void;
  resetStream(): void;
  /** the upstream response, into the encoder filters */
  encodeHeaders(headers: HeaderList, endOfStream: boolean): void;
  encodeData(data: Uint8Array, endOfStream: boolean): void;
  /** the host answered the upgrade with 101 */
  onUpgraded(): void;
  /** backpressure on the client connection (readDisable, counted) */
  readDisable(disable: boolean): void;
  batch(fn: () => void): void;
}

export class Router {
  private upstream: UpstreamRequest | null = null;
  private host: UpstreamHost | null = null;
  private cluster: Cluster | null = null;
  private routeTimer: NodeJS.Timeout | null = null;
  private routeTimeoutMs = 0;
  private readDisabled = false;
  private upstreamReadDisabled = false;
  private destroyed = false;
  private readonly startedAt = Date.now();

  constructor(private readonly cb: RouterCallbacks) {}

  /** Filter::decodeHeaders with the stream's (cached) route. */
  decodeHeaders(headers: HeaderList, endOfStream: boolean, m: RouteMatch | undefined): void {
    const cb = this.cb;
    if (!m) {
      cb.stat("no_route").inc();
      cb.sendLocalReply(404, "", "route_not_found");
      return;
    }
    const route = m.route;
    if (route.directResponse) {
      cb.stat("rq_direct_response").inc();
      cb.sendLocalReply(route.directResponse.status, route.directResponse.body, "direct_response");
      return;
    }
    const action = route.route!;
    if (action.idleTimeoutMs !== undefined) cb.setIdleTimeout(action.idleTimeoutMs);
    const clusterName = action.cluster ?? headerValue(headers, action.clusterHeader!) ?? "";
    const cluster = cb.ctx.clusters.get(clusterName);
    if (!cluster) {
      cb.stat("no_cluster").inc();
      cb.sendLocalReply(action.clusterNotFoundCode, "", "cluster_not_found");
      return;
    }
    this.cluster = cluster;
    const host = cluster.chooseHost();
    if (!host) {
      cb.sendLocalReply(503, "no healthy upstream", "no_healthy_upstream");
      return;
    }
    this.host = host;
    cluster.counter("upstream_rq_total").inc();
    cluster.gauge("upstream_rq_active").add(1);
    host.rqTotal++; host.rqActive++;
    this.routeTimeoutMs = action.timeoutMs;
    // router.cc arms the route timeout at onRequestComplete: when the whole request went
    // upstream-bound. An upgrade's request never completes, so no route timeout applies to it
    // (its stream_idle_timeout does).
    if (endOfStream) this.armRouteTimeout();
    const head = this.finalizeRequestHeaders(headers, m.remove, action.timeoutMs);
    this.upstream = new UpstreamRequest(cluster, host, head, {
      upgrade: cb.isUpgrade, method: cb.method, requestChunked: cb.requestChunked,
      maxResponseHeadersBytes: cb.hcm.maxRequestHeadersKb * 1024,
    }, {
      onUpstreamHeaders: (_status, h, upgraded, eos) => {
        if (this.destroyed) return;
        if (upgraded) cb.onUpgraded();
        h.push(["x-envoy-upstream-service-time", String(Date.now() - this.startedAt)]);
        cb.encodeHeaders(h, eos);
      },
      onUpstreamData: (d, eos) => { if (!this.destroyed) cb.encodeData(d, eos); },
      onUpstreamComplete: (status) => {
        this.clearRouteTimer();
        if (status >= 500) host.rqError++; else host.rqSuccess++;
      },
      onUpstreamReset: (body, details, afterHeaders, log) => {
        if (this.destroyed) return;
        if (log) cb.ctx.log("warn", log);
        this.upstream = null;
        if (afterHeaders) cb.resetStream();
        else cb.sendLocalReply(503, body, details);
      },
      onAboveWriteBufferHighWatermark: () => this.setReadDisabled(true),
      onBelowWriteBufferLowWatermark: () => this.setReadDisabled(false),
      batch: (fn) => cb.batch(fn),
      onActivity: () => cb.onActivity(),
    });
    if (this.upstreamReadDisabled) this.upstream.readDisable(true);
  }

  /** Request body (after a 101: raw bytes toward the host). */
  decodeData(data: Uint8Array, endOfStream: boolean): void {
    this.upstream?.encodeData(data, endOfStream);
    if (endOfStream) this.armRouteTimeout();
  }

  /** The client's write buffer passed its high watermark (true) or fell to its low one (false). */
  onDownstreamWatermark(above: boolean): void {
    if (above === this.upstreamReadDisabled) return;
    this.upstreamReadDisabled = above;
    this.upstream?.readDisable(above);
  }

  /** A local reply replaces the response: the upstream request is dropped (Filter::onDestroy). */
  resetUpstream(): void {
    this.clearRouteTimer();
    if (this.upstream) { this.upstream.destroy(); this.upstream = null; }
  }

  /** The stream is gone: timers off, reading restored, the router's gauges released once. */
  onDestroy(resetUpstream: boolean): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.clearRouteTimer();
    this.setReadDisabled(false);
    if (this.host && this.cluster) {
      this.host.rqActive--;
      this.cluster.gauge("upstream_rq_active").sub(1);
    }
    if (resetUpstream) this.upstream?.destroy();
  }

  private setReadDisabled(disable: boolean): void {
    if (disable === this.readDisabled || (disable && this.destroyed)) return;
    this.readDisabled = disable;
    this.cb.readDisable(disable);
  }

  /** router.cc finalizeRequestHeaders: request_headers_to_remove (route, vhost, table: one set per route), timeout header. */
  private finalizeRequestHeaders(headers: HeaderList, remove: ReadonlySet<string>, timeoutMs: number): Buffer {
    const out: HeaderList = [["host", headerValue(headers, ":authority") ?? ""]];
    for (const [k, v] of headers) {
      if (k.startsWith(":") || remove.has(k)) continue;
      if (!this.cb.isUpgrade && HOP_BY_HOP.has(k) && k !== "transfer-encoding") continue;
      out.push([k, v]);
    }
    if (timeoutMs > 0) out.push(["x-envoy-expected-rq-timeout-ms", String(timeoutMs)]);
    return serializeRequestHead(headerValue(headers, ":method") ?? "GET", headerValue(headers, ":path") ?? "/", out);
  }

  private armRouteTimeout(): void {
    if (this.routeTimer || this.routeTimeoutMs <= 0 || this.destroyed || this.cb.isUpgrade) return;
    this.routeTimer = setTimeout(() => this.onRouteTimeout(), this.routeTimeoutMs);
  }

  private clearRouteTimer(): void {
    if (this.routeTimer) { clearTimeout(this.routeTimer); this.routeTimer = null; }
  }

  /** Filter::onResponseTimeout: 504 before the response started, a reset after. */
  private onRouteTimeout(): void {
    this.routeTimer = null;
    if (this.destroyed) return;
    this.cluster?.counter("upstream_rq_timeout").inc();
    this.upstream?.destroy();
    this.upstream = null;
    if (!this.cb.responseStarted) this.cb.sendLocalReply(504, "upstream request timeout", "upstream_response_timeout");
    else this.cb.resetStream();
  }
}
