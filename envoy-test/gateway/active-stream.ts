// One HTTP/1.1 request/response (or upgraded websocket) through the filter chain and the router.
// Envoy sources mirrored: source/common/http/conn_manager_impl.cc (ActiveStream: idle timeout,
// drain "connection: close", upgrade handling), source/common/router/router.cc (Filter::decodeHeaders:
// route, cluster, no healthy upstream, timeouts; finalizeRequestHeaders), source/common/http/utility.cc
// (sendLocalReply: content-type text/plain only with a body, content-length always).
import type net from "node:net";
import type { HeaderList, LocalResponse } from "../host/index.ts";
import type { Cluster } from "./cluster.ts";
import type { HcmConfig } from "./config-model.ts";
import type { Downstream, GatewayContext } from "./context.ts";
import { FilterChain, type ChainSink } from "./filter-chain.ts";
import {
  ChunkedDecoder, encodeChunk, headEnd, headerValue, HttpParseError, LAST_CHUNK, parseResponseHead,
  responseFraming, serializeRequestHead, serializeResponseHead, type Framing, type RequestHead,
} from "./http1.ts";
import type { RouteTable } from "./route-table.ts";
import { connectFailureBody, ConnectError, connectUpstream } from "./upstream.ts";
import type { UpstreamHost } from "./cluster.ts";
import { appendXff, peerIp, streamProperties } from "./remote-address.ts";

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade", "trailer"]);

export interface StreamOwner {
  readonly downstream: Downstream;
  readonly hcm: HcmConfig;
  readonly routes: RouteTable;
  readonly ctx: GatewayContext;
  stat(name: string): { inc(n?: number): void };
  gauge(name: string): { add(n: number): void; sub(n: number): void };
  /** the stream finished; `close` asks for the connection to be closed after the response */
  onStreamDone(close: boolean): void;
}

let requestIds = 0;

export class ActiveStream implements ChainSink {
  readonly isUpgrade: boolean;
  private readonly chain: FilterChain;
  private upstream: net.Socket | null = null;
  private upstreamHost: UpstreamHost | null = null;
  private upstreamCluster: Cluster | null = null;
  private pendingUpstream: Buffer[] = [];
  private upstreamConnected = false;
  private upstreamBuf: Buffer = Buffer.alloc(0);
  private resHeadParsed = false;
  private resFraming: Framing = { kind: "none" };
  private resChunked: ChunkedDecoder | null = null;
  private requestChunked: boolean;
  private downstreamChunked = false;
  private responseStarted = false;
  private responseDone = false;
  requestDone = false;
  upgraded = false;
  private finished = false;
  private closeAfter = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private idleArmedMs = -1;
  private idleTimeoutMs: number;
  private routeTimer: NodeJS.Timeout | null = null;
  private upstreamEnded = false;
  private downstreamEnded = false;
  private startedAt = Date.now();
  private upstreamStatus = 0;

  constructor(private readonly owner: StreamOwner, private readonly head: RequestHead, plugins: import("../host/index.ts").Plugin[]) {
    const h = head.headers;
    const upgrade = headerValue(h, "upgrade");
    const connTokens = (headerValue(h, "connection") ?? "").toLowerCase().split(",").map((t) => t.trim());
    this.isUpgrade = upgrade !== undefined && connTokens.includes("upgrade");
    this.requestChunked = (headerValue(h, "transfer-encoding") ?? "").toLowerCase() === "chunked";
    this.closeAfter = connTokens.includes("close") || head.version === "1.0";
    this.idleTimeoutMs = owner.hcm.streamIdleTimeoutMs;
    this.chain = new FilterChain(plugins, owner.downstream.worker, streamProperties(owner.hcm, owner.downstream.properties, h), this);
  }

  /** HCM request header handling (conn_manager_utility.cc mutateRequestHeaders) then the decoder chain. */
  start(endOfStream: boolean): void {
    const o = this.owner;
    o.stat("downstream_rq_total").inc();
    o.stat("downstream_rq_http1_total").inc();
    o.gauge("downstream_rq_active").add(1);
    this.armIdle();
    const h = this.head.headers;
    const authority = headerValue(h, "host") ?? "";
    const headers: HeaderList = [[":authority", authority], [":path", this.head.target], [":method", this.head.method], [":scheme", "http"]];
    if (this.isUpgrade && (!o.hcm.websocket || (headerValue(h, "upgrade") ?? "").toLowerCase() !== "websocket")
      && o.routes.match([...headers, ...h])) {
      // An upgrade the HCM has no upgrade_config for, on a request that has a route: 403 and the
      // connection closes (conn_manager_impl.cc ActiveStream::decodeHeaders, "upgrade_failed").
      o.stat("downstream_rq_ws_on_non_ws_route").inc();
      this.sendLocalReply(403, "", "upgrade_failed", [], true);
      return;
    }
    for (const [k, v] of h) {
      if (k === "host") continue;
      if (!this.isUpgrade && (k === "connection" || k === "upgrade" || k === "keep-alive" || k === "proxy-connection")) continue;
      headers.push([k, v]);
    }
    appendXff(o.hcm, headers, peerIp(o.downstream.properties));
    // x-forwarded-proto from the downstream scheme; x-request-id generated when absent.
    if (!headers.some(([k]) => k === "x-forwarded-proto")) headers.push(["x-forwarded-proto", "http"]);
    if (!headers.some(([k]) => k === "x-request-id")) headers.push(["x-request-id", newRequestId()]);
    if (endOfStream) this.requestDone = true;
    this.chain.decodeHeaders(headers, endOfStream);
  }

  /** Request body bytes from the connection manager (after a 101: raw websocket bytes). */
  onDownstreamData(data: Uint8Array, endOfStream: boolean): void {
    if (this.finished) return;
    this.armIdle();
    if (endOfStream) { this.requestDone = true; this.downstreamEnded = true; }
    this.chain.decodeData(data, endOfStream);
  }

  /** The client connection went away under this stream. */
  onDownstreamClosed(): void {
    if (this.finished) return;
    // Both sides of an upgraded stream ended cleanly: done. Anything else is a reset (RST/error,
    // or the client vanished mid-request).
    if (this.upgraded && this.downstreamEnded && this.upstreamEnded) { this.finish(true); return; }
    this.reset();
  }

  // ---- ChainSink: the router (router.cc) ----

  onRequestHeaders(headers: HeaderList, endOfStream: boolean): void {
    const o = this.owner;
    const m = o.routes.match(headers);
    if (!m) {
      o.stat("no_route").inc();
      this.sendLocalReply(404, "", "route_not_found");
      return;
    }
    const route = m.route;
    if (route.directResponse) {
      o.stat("rq_direct_response").inc();
      this.sendLocalReply(route.directResponse.status, route.directResponse.body, "direct_response");
      return;
    }
    const action = route.route!;
    if (action.idleTimeoutMs !== undefined) { this.idleTimeoutMs = action.idleTimeoutMs; this.armIdle(); }
    const clusterName = action.cluster ?? headerValue(headers, action.clusterHeader!) ?? "";
    const cluster = o.ctx.clusters.get(clusterName);
    if (!cluster) {
      o.stat("no_cluster").inc();
      this.sendLocalReply(action.clusterNotFoundCode, "", "cluster_not_found");
      return;
    }
    this.upstreamCluster = cluster;
    const host = cluster.chooseHost();
    if (!host) {
      this.sendLocalReply(503, "no healthy upstream", "no_healthy_upstream");
      return;
    }
    this.upstreamHost = host;
    cluster.counter("upstream_rq_total").inc();
    cluster.gauge("upstream_rq_active").add(1);
    host.rqTotal++; host.rqActive++;
    if (action.timeoutMs > 0) {
      this.routeTimer = setTimeout(() => this.onRouteTimeout(), action.timeoutMs);
    }
    const upstreamHead = this.finalizeRequestHeaders(headers, m.remove, action.timeoutMs);
    this.pendingUpstream.push(upstreamHead);
    connectUpstream(cluster, host).then((sock) => this.onUpstreamConnected(sock), (e: ConnectError) => {
      if (this.finished) return;
      this.sendLocalReply(503, connectFailureBody(e), `upstream_reset_before_response_started{${e.reason}}`);
    });
    void endOfStream;
  }

  /** router.cc finalizeRequestHeaders: request_headers_to_remove (route, vhost, table: one set per route), timeout header. */
  private finalizeRequestHeaders(headers: HeaderList, remove: ReadonlySet<string>, timeoutMs: number): Buffer {
    const out: HeaderList = [["host", headerValue(headers, ":authority") ?? ""]];
    for (const [k, v] of headers) {
      if (k.startsWith(":") || remove.has(k)) continue;
      if (!this.isUpgrade && HOP_BY_HOP.has(k) && k !== "transfer-encoding") continue;
      out.push([k, v]);
    }
    if (timeoutMs > 0) out.push(["x-envoy-expected-rq-timeout-ms", String(timeoutMs)]);
    return serializeRequestHead(headerValue(headers, ":method") ?? "GET", headerValue(headers, ":path") ?? "/", out);
  }

  private onUpstreamConnected(sock: net.Socket): void {
    if (this.finished) { sock.destroy(); return; }
    this.upstream = sock;
    this.upstreamConnected = true;
    for (const b of this.pendingUpstream) sock.write(b);
    this.pendingUpstream = [];
    if (this.upgraded === false && this.upstreamEnded) sock.end();
    sock.on("data", (d: Buffer) => {
      // Until the response head is through, one read can yield head and body (a 101 and the
      // backend's first frame): hold the writes and send them together.
      if (this.resHeadParsed) this.onUpstreamData(d);
      else this.owner.downstream.batch(() => this.onUpstreamData(d));
    });
    sock.on("end", () => this.onUpstreamEnd());
    sock.on("error", () => { /* "close" follows */ });
    sock.on("close", (hadError) => this.onUpstreamClose(hadError));
  }

  onRequestData(data: Uint8Array, endOfStream: boolean): void {
    let out: Uint8Array = data;
    if (!this.upgraded && !this.isUpgrade && this.requestChunked) {
      out = Buffer.concat([data.length ? encodeChunk(data) : Buffer.alloc(0), endOfStream ? LAST_CHUNK : Buffer.alloc(0)]);
    }
    if (this.upstreamConnected && this.upstream) {
      if (out.length) this.upstream.write(out);
      if (endOfStream && (this.upgraded || this.isUpgrade)) this.upstream.end();
    } else {
      if (out.length) this.pendingUpstream.push(Buffer.from(out));
      if (endOfStream && this.isUpgrade) this.upstreamEnded = true;
    }
  }

  private onUpstreamData(d: Buffer): void {
    if (this.finished) return;
    this.armIdle();
    if (this.upgraded) { this.chain.encodeData(d, false); return; }
    if (!this.resHeadParsed) {
      this.upstreamBuf = this.upstreamBuf.length ? Buffer.concat([this.upstreamBuf, d]) : d;
      const end = headEnd(this.upstreamBuf);
      if (end < 0) {
        if (this.upstreamBuf.length > this.owner.hcm.maxRequestHeadersKb * 1024) this.upstreamProtocolError("response headers too large");
        return;
      }
      let head;
      try { head = parseResponseHead(this.upstreamBuf.subarray(0, end)); } catch (e) {
        this.upstreamProtocolError((e as HttpParseError).message);
        return;
      }
      const rest = this.upstreamBuf.subarray(end);
      this.upstreamBuf = Buffer.alloc(0);
      if (head.status >= 100 && head.status < 200 && head.status !== 101) {
        // 100-continue and other interim responses are not proxied by default (proxy_100_continue false).
        if (rest.length) this.onUpstreamData(rest);
        return;
      }
      this.resHeadParsed = true;
      this.upstreamStatus = head.status;
      const upgradeOk = head.status === 101 && this.isUpgrade;
      const headers: HeaderList = [[":status", String(head.status)]];
      for (const [k, v] of head.headers) {
        if (!upgradeOk && HOP_BY_HOP.has(k)) continue;
        headers.push([k, v]);
      }
      if (upgradeOk) {
        this.upgraded = true;
        this.clearRouteTimer(); // the route timeout covers the upgrade response only
        this.owner.stat("downstream_cx_upgrades_total").inc();
        this.owner.gauge("downstream_cx_upgrades_active").add(1);
        this.resFraming = { kind: "close" };
      } else {
        this.resFraming = responseFraming(head.status, this.head.method, head.headers);
        if (this.resFraming.kind === "chunked") this.resChunked = new ChunkedDecoder();
      }
      headers.push(["x-envoy-upstream-service-time", String(Date.now() - this.startedAt)]);
      const eos = this.resFraming.kind === "none";
      this.chain.encodeUpstreamHeaders(headers, eos);
      if (eos) this.onUpstreamResponseComplete();
      if (rest.length) this.onUpstreamData(rest);
      return;
    }
    this.consumeResponseBody(d);
  }

  private consumeResponseBody(d: Buffer): void {
    const f = this.resFraming;
    if (f.kind === "length") {
      const take = Math.min(f.remaining, d.length);
      f.remaining -= take;
      const done = f.remaining === 0;
      this.chain.encodeData(d.subarray(0, take), done);
      if (done) this.onUpstreamResponseComplete();
    } else if (f.kind === "chunked" && this.resChunked) {
      let parts: Buffer[];
      try { parts = this.resChunked.push(d); } catch (e) { this.upstreamProtocolError((e as Error).message); return; }
      for (const p of parts) this.chain.encodeData(p, false);
      if (this.resChunked.done) { this.chain.encodeData(Buffer.alloc(0), true); this.onUpstreamResponseComplete(); }
    } else if (f.kind === "close") {
      this.chain.encodeData(d, false);
    }
  }

  private onUpstreamEnd(): void {
    if (this.finished) return;
    if (this.upgraded) {
      // The backend half-closed: end_of_stream on the response body (Envoy: onUpstreamData end_stream).
      this.upstreamEnded = true;
      this.chain.encodeData(Buffer.alloc(0), true);
      return;
    }
    if (this.resHeadParsed && this.resFraming.kind === "close") {
      this.chain.encodeData(Buffer.alloc(0), true);
      this.onUpstreamResponseComplete();
    }
  }

  private onUpstreamClose(hadError: boolean): void {
    if (this.finished) return;
    if (this.upgraded) {
      if (hadError || !this.upstreamEnded) { this.reset(); return; }
      if (this.downstreamEnded) this.finish(true);
      return;
    }
    if (this.responseDone) return;
    if (!this.resHeadParsed) {
      this.sendLocalReply(503, "upstream connect error or disconnect/reset before headers. reset reason: connection termination", "upstream_reset_before_response_started{connection_termination}");
      return;
    }
    if (this.resFraming.kind !== "close") this.reset();
  }

  private upstreamProtocolError(msg: string): void {
    this.owner.ctx.log("warn", `upstream protocol error: ${msg}`);
    this.upstream?.destroy();
    if (!this.responseStarted) this.sendLocalReply(503, "upstream connect error or disconnect/reset before headers. reset reason: protocol error", "upstream_reset_before_response_started{protocol_error}");
    else this.reset();
  }

  private onUpstreamResponseComplete(): void {
    this.clearRouteTimer();
    if (this.upstreamHost) {
      if (this.upstreamStatus >= 500) this.upstreamHost.rqError++; else this.upstreamHost.rqSuccess++;
    }
    this.upstream?.end();
  }

  private onRouteTimeout(): void {
    this.routeTimer = null;
    if (this.finished) return;
    this.upstreamCluster?.counter("upstream_rq_timeout").inc();
    this.upstream?.destroy();
    if (!this.responseStarted) this.sendLocalReply(504, "upstream request timeout", "upstream_response_timeout");
    else this.reset();
  }

  onResponseHeaders(headers: HeaderList, endOfStream: boolean): void {
    if (this.finished) return;
    const status = Number(headerValue(headers, ":status") ?? "200");
    const out: HeaderList = headers.filter(([k]) => k !== "server" && !(this.upgraded ? false : k === "connection"));
    // server_header_transformation OVERWRITE (default): "server: envoy".
    out.push(["server", "envoy"]);
    if (!this.upgraded) {
      // HTTP/1.1 drain: "connection: close" on responses, never on upgrades (conn_manager_impl.cc encodeHeaders).
      if (this.owner.ctx.drain.drainClose()) {
        this.closeAfter = true;
        this.owner.stat("downstream_cx_drain_close").inc();
      }
      if (this.closeAfter) out.push(["connection", "close"]);
      const hasLength = headerValue(out, "content-length") !== undefined;
      if (endOfStream) {
        if (!hasLength && status !== 204 && status !== 304) out.push(["content-length", "0"]);
      } else if (!hasLength) {
        out.push(["transfer-encoding", "chunked"]);
        this.downstreamChunked = true;
      }
    }
    this.responseStarted = true;
    this.owner.stat(`downstream_rq_${Math.floor(status / 100)}xx`).inc();
    this.owner.downstream.write(serializeResponseHead(status, out));
    if (endOfStream) this.onResponseComplete();
  }

  onResponseData(data: Uint8Array, endOfStream: boolean): void {
    if (this.finished) return;
    const ds = this.owner.downstream;
    if (this.downstreamChunked) {
      if (data.length) ds.write(encodeChunk(data));
      if (endOfStream) ds.write(LAST_CHUNK);
    } else if (data.length) ds.write(data);
    if (endOfStream) {
      if (this.upgraded) {
        ds.end();
        if (this.downstreamEnded) this.finish(true);
      } else this.onResponseComplete();
    }
  }

  private onResponseComplete(): void {
    this.responseDone = true;
    if (this.requestDone) this.finish(this.closeAfter);
    else this.finish(true); // a response before the whole request: HTTP/1.1 closes the connection
  }

  onLocalReply(r: LocalResponse): void {
    const headers: HeaderList = r.headers.filter(([k]) => !k.startsWith(":"));
    this.sendLocalReply(r.status, Buffer.from(r.body), r.details, headers);
  }

  onReset(): void { this.reset(); }

  /** A local reply (utility.cc sendLocalReply); after the response started Envoy can only reset. */
  sendLocalReply(status: number, body: string | Uint8Array, details: string, extra: HeaderList = [], close = false): void {
    if (this.finished) return;
    if (this.responseStarted) { this.reset(); return; }
    void details;
    this.clearRouteTimer();
    if (this.upstream) { this.upstream.destroy(); this.upstream = null; }
    this.upstreamConnected = false;
    this.pendingUpstream = [];
    const b = typeof body === "string" ? Buffer.from(body) : Buffer.from(body);
    if (close || !this.requestDone) this.closeAfter = true;
    const headers: HeaderList = [[":status", String(status)], ...extra];
    if (b.length && headerValue(headers, "content-type") === undefined) headers.push(["content-type", "text/plain"]);
    headers.push(["content-length", String(b.length)]);
    headers.push(["date", new Date().toUTCString()]);
    this.chain.encodeLocalReply(headers, b);
  }

  private reset(): void {
    if (this.finished) return;
    this.owner.stat("downstream_rq_rx_reset").inc();
    this.upstream?.destroy();
    this.owner.downstream.destroy();
    this.finish(true);
  }

  private finish(close: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.clearRouteTimer();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.owner.gauge("downstream_rq_active").sub(1);
    if (this.upgraded) this.owner.gauge("downstream_cx_upgrades_active").sub(1);
    if (this.upstreamHost && this.upstreamCluster) {
      this.upstreamHost.rqActive--;
      this.upstreamCluster.gauge("upstream_rq_active").sub(1);
    }
    if (this.upgraded) this.upstream?.destroy();
    this.chain.complete();
    this.owner.onStreamDone(close);
  }

  private clearRouteTimer(): void {
    if (this.routeTimer) { clearTimeout(this.routeTimer); this.routeTimer = null; }
  }

  /** stream_idle_timeout / route idle_timeout: 408 before the response, reset after (conn_manager_impl.cc onIdleTimeout). */
  private armIdle(): void {
    if (this.finished) return;
    // Every byte either way restarts the timer (conn_manager_impl.cc resetIdleTimer): refresh() the
    // armed timer rather than allocate a new one per chunk. A changed timeout (route idle_timeout)
    // needs a new timer.
    if (this.idleTimer && this.idleArmedMs === this.idleTimeoutMs) { this.idleTimer.refresh(); return; }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    this.idleArmedMs = this.idleTimeoutMs;
    if (this.idleTimeoutMs <= 0) return;
    this.idleTimer = setTimeout(() => {
      if (this.finished) return;
      this.owner.stat("downstream_rq_idle_timeout").inc();
      if (!this.responseStarted) this.sendLocalReply(408, "stream timeout", "stream_idle_timeout", [], true);
      else this.reset();
    }, this.idleTimeoutMs);
  }

}

function newRequestId(): string {
  const n = (++requestIds).toString(16).padStart(12, "0");
  const r = (): string => Math.floor(Math.random() * 0x10000).toString(16).padStart(4, "0");
  return `${r()}${r()}-${r()}-4${r().slice(1)}-a${r().slice(1)}-${n}`;
}
