// One HTTP/1.1 request/response (or upgraded websocket) in the HCM: the stream (filter chain, idle timer,
// response encoding, local replies, the route cache) ending in the router filter (router.ts), which
// runs one UpstreamRequest (upstream-request.ts).
// Envoy sources mirrored: source/common/http/conn_manager_impl.cc (ActiveStream: idle timeout,
// drain "connection: close", upgrade handling), source/common/router/router.cc (Filter::decodeHeaders:
// route, cluster, no healthy upstream, timeouts; finalizeRequestHeaders), source/common/http/utility.cc
// (sendLocalReply: content-type text/plain only with a body, content-length always).
import type { HeaderList, LocalResponse } from "../host/index.ts";
import type { HcmConfig } from "./config-model.ts";
import type { Downstream, GatewayContext } from "./context.ts";
import { FilterChain, type ChainSink } from "./filter-chain.ts";
import { encodeChunk, headerValue, LAST_CHUNK, serializeResponseHead } from "./http1.ts";
import type { RequestHead } from "./http1-codec.ts";
import type { RouteMatch, RouteTable } from "./route-table.ts";
import { Router, type RouterCallbacks } from "./router.ts";
import { appendXff, peerIp, streamProperties } from "./remote-address.ts";
import { asciiLower } from "../host/ascii.ts";


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
  private readonly router: Router;
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
  private downstreamEnded = false;
  /** the route chosen for this request (conn_manager_impl.cc refreshCachedRoute), until a filter clears the cache */
  private cachedRoute: RouteMatch | undefined;
  private routeCacheClearsSeen = 0;

  constructor(private readonly owner: StreamOwner, private readonly head: RequestHead, plugins: import("../host/index.ts").Plugin[]) {
    const h = head.headers;
    const connTokens = asciiLower(headerValue(h, "connection") ?? "").split(",").map((t) => t.trim());
    this.isUpgrade = head.upgrade;
    this.requestChunked = asciiLower(headerValue(h, "transfer-encoding") ?? "") === "chunked";
    this.closeAfter = connTokens.includes("close") || head.version === "1.0";
    this.idleTimeoutMs = owner.hcm.streamIdleTimeoutMs;
    this.router = new Router(this.routerCallbacks());
    this.chain = new FilterChain(plugins, owner.downstream.worker, streamProperties(owner.hcm, owner.downstream.properties, h), this, owner.downstream.bufferLimit);
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
    for (const [k, v] of h) {
      if (k === "host") continue;
      if (!this.isUpgrade && (k === "connection" || k === "upgrade" || k === "keep-alive" || k === "proxy-connection")) continue;
      headers.push([k, v]);
    }
    appendXff(o.hcm, headers, peerIp(o.downstream.properties));
    // x-forwarded-proto from the downstream scheme; x-request-id generated when absent.
    if (!headers.some(([k]) => k === "x-forwarded-proto")) headers.push(["x-forwarded-proto", "http"]);
    if (!headers.some(([k]) => k === "x-request-id")) headers.push(["x-request-id", newRequestId()]);
    // One route lookup per request, before the filters (ActiveStream::decodeHeaders
    // refreshCachedRoute); the router reuses it unless a filter cleared the route cache.
    this.cachedRoute = o.routes.match(headers);
    if (this.isUpgrade && (!o.hcm.websocket || asciiLower(headerValue(h, "upgrade") ?? "") !== "websocket") && this.cachedRoute) {
      // An upgrade the HCM has no upgrade_config for, on a request that has a route: 403 and the
      // connection closes (conn_manager_impl.cc ActiveStream::decodeHeaders, "upgrade_failed").
      o.stat("downstream_rq_ws_on_non_ws_route").inc();
      this.sendLocalReply(403, "", "upgrade_failed", [], true);
      return;
    }
    this.owner.downstream.watermarks = {
      // the client reads too slowly: stop reading the upstream until its buffer drains to half
      onAboveHigh: () => this.router.onDownstreamWatermark(true),
      onBelowLow: () => this.router.onDownstreamWatermark(false),
    };
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
    this.reset();
  }

  // ---- ChainSink: the end of the decoder chain is the router filter (router.ts) ----

  onRequestHeaders(headers: HeaderList, endOfStream: boolean): void {
    const clears = this.chain.routeCacheClears();
    if (clears !== this.routeCacheClearsSeen) {
      // a filter edited the request headers or called clear_route_cache: match again
      this.routeCacheClearsSeen = clears;
      this.cachedRoute = this.owner.routes.match(headers);
    }
    this.router.decodeHeaders(headers, endOfStream, this.cachedRoute);
  }

  onRequestData(data: Uint8Array, endOfStream: boolean): void {
    this.router.decodeData(data, endOfStream);
  }

  /** What the router may do to this stream (Envoy's StreamDecoderFilterCallbacks, narrowed). */
  private routerCallbacks(): RouterCallbacks {
    const o = this.owner;
    const self = this; // eslint-disable-line @typescript-eslint/no-this-alias
    return {
      isUpgrade: this.isUpgrade, method: this.head.method, requestChunked: this.requestChunked,
      hcm: o.hcm, ctx: o.ctx,
      get responseStarted() { return self.responseStarted; },
      stat: (name) => o.stat(name),
      setIdleTimeout: (ms) => { this.idleTimeoutMs = ms; this.armIdle(); },
      onActivity: () => this.armIdle(),
      sendLocalReply: (status, body, details) => this.sendLocalReply(status, body, details),
      resetStream: () => this.reset(),
      encodeHeaders: (h, eos) => { if (!this.finished) this.chain.encodeUpstreamHeaders(h, eos); },
      encodeData: (d, eos) => { if (!this.finished) this.chain.encodeData(d, eos); },
      onUpgraded: () => {
        this.upgraded = true;
        o.stat("downstream_cx_upgrades_total").inc();
        o.gauge("downstream_cx_upgrades_active").add(1);
      },
      readDisable: (disable) => o.downstream.readDisable(disable),
      batch: (fn) => o.downstream.batch(fn),
    };
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
    this.router.resetUpstream();
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
    this.router.onDestroy(true);
    this.owner.downstream.destroy();
    this.finish(true);
  }

  private finish(close: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.router.onDestroy(this.upgraded);
    this.owner.downstream.watermarks = null;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.owner.gauge("downstream_rq_active").sub(1);
    if (this.upgraded) this.owner.gauge("downstream_cx_upgrades_active").sub(1);
    this.chain.complete();
    this.owner.onStreamDone(close);
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
