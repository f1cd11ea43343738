// envoy.filters.network.http_connection_manager over HTTP/1.1 on one downstream connection
// (source/common/http/conn_manager_impl.cc ConnectionManagerImpl): the codec (http1-codec.ts:
// llhttp with Envoy's rules) answers protocol errors with the status text as the body and closes
// (codec_impl.cc sendProtocolError); one stream at a time (HTTP/1.1 has no multiplexing: a
// pipelined request waits, and reading stops while it does, as Envoy's codec pauses after each
// message); after an upgrade the connection's bytes are the stream's.
// Timers as Envoy's: the connection idle_timeout (common_http_protocol_options, default 1 h) runs
// while no stream is active; a stream starts with the first byte of its request (onMessageBegin),
// and from then its stream_idle_timeout (408 "stream timeout" before the response) and
// request_headers_timeout (the connection closes, no response) run.
import type { Plugin } from "../host/index.ts";
import { ActiveStream, type StreamOwner } from "./active-stream.ts";
import type { HcmConfig } from "./config-model.ts";
import type { Downstream, GatewayContext, TerminalFilter } from "./context.ts";
import { HttpParseError, reasonPhrase, serializeResponseHead } from "./http1.ts";
import { ServerCodec, type RequestHead } from "./http1-codec.ts";
import type { RouteTable } from "./route-table.ts";

export class HttpConnectionManager implements TerminalFilter, StreamOwner {
  private readonly codec: ServerCodec;
  private stream: ActiveStream | null = null;
  /** events of a pipelined request, replayed once the active stream is done */
  private pipelined: (() => void)[] = [];
  private closing = false;
  private closed = false;
  private readonly prefix: string;
  private connIdleTimer: NodeJS.Timeout | null = null;
  /** before a request's headers are complete: its stream idle and request_headers timers */
  private headIdleTimer: NodeJS.Timeout | null = null;
  private headersTimer: NodeJS.Timeout | null = null;
  private readDisabledForPipeline = false;

  constructor(readonly downstream: Downstream, readonly hcm: HcmConfig, readonly routes: RouteTable,
    readonly ctx: GatewayContext, private readonly plugins: Plugin[]) {
    this.prefix = `http.${hcm.statPrefix}.`;
    this.stat("downstream_cx_total").inc();
    this.stat("downstream_cx_http1_total").inc();
    this.gauge("downstream_cx_active").add(1);
    this.gauge("downstream_cx_http1_active").add(1);
    this.codec = new ServerCodec(
      { maxRequestHeadersKb: hcm.maxRequestHeadersKb, maxHeadersCount: hcm.maxHeadersCount, acceptHttp10: hcm.acceptHttp10, defaultHostForHttp10: hcm.defaultHostForHttp10, allowAbsoluteUrl: hcm.allowAbsoluteUrl },
      {
        onMessageBegin: () => this.dispatch(() => this.onMessageBegin()),
        onHeaders: (head) => { this.dispatch(() => this.onHeaders(head)); return head.upgrade; },
        onBody: (b) => { const copy = Buffer.from(b); this.dispatch(() => this.stream?.onDownstreamData(copy, false)); },
        onMessageComplete: () => {
          // the current request already ended with its headers (no body): nothing to deliver
          if (!this.pipelined.length && this.stream?.requestDone) return;
          this.dispatch(() => this.onMessageComplete());
        },
        onProtocolError: (e) => this.dispatch(() => this.codecError(e)),
      });
    this.armConnIdle();
  }

  stat(name: string) { return this.ctx.stats.counter(this.prefix + name); }
  gauge(name: string) { return this.ctx.stats.gauge(this.prefix + name); }

  /** Runs a codec event now, or queues it behind the active stream (a pipelined request). */
  private dispatch(fn: () => void): void {
    if (this.pipelined.length || (this.stream && this.stream.requestDone && !this.stream.isUpgrade)) {
      this.pipelined.push(fn);
      if (!this.readDisabledForPipeline) { this.readDisabledForPipeline = true; this.downstream.readDisable(true); }
      return;
    }
    fn();
  }

  onData(data: Buffer): void {
    if (this.closing || this.closed) return;
    const s = this.stream;
    if (s && s.isUpgrade && this.codec.upgraded) { s.onDownstreamData(data, false); return; }
    this.headIdleTimer?.refresh();
    const rest = this.codec.execute(data);
    if (rest && rest.length) this.dispatch(() => this.stream?.onDownstreamData(Buffer.from(rest), false));
  }

  private onMessageBegin(): void {
    if (this.closing || this.closed) return;
    this.clearConnIdle();
    const idle = this.hcm.streamIdleTimeoutMs;
    if (idle > 0) this.headIdleTimer = setTimeout(() => this.onHeadTimeout("idle"), idle);
    const rh = this.hcm.requestHeadersTimeoutMs;
    if (rh > 0) this.headersTimer = setTimeout(() => this.onHeadTimeout("headers"), rh);
  }

  private clearHeadTimers(): void {
    if (this.headIdleTimer) { clearTimeout(this.headIdleTimer); this.headIdleTimer = null; }
    if (this.headersTimer) { clearTimeout(this.headersTimer); this.headersTimer = null; }
  }

  /** A request whose headers never completed: conn_manager_impl.cc onIdleTimeout / onRequestHeaderTimeout. */
  private onHeadTimeout(which: "idle" | "headers"): void {
    this.clearHeadTimers();
    if (this.closing || this.closed || this.stream) return;
    this.stat("downstream_rq_total").inc();
    this.stat("downstream_rq_http1_total").inc();
    if (which === "idle") {
      // stream_idle_timeout before any response: 408 "stream timeout"; the request is unfinished,
      // so the HTTP/1 connection closes after it.
      this.stat("downstream_rq_idle_timeout").inc();
      this.reply(408, "stream timeout");
    } else {
      // request_headers_timeout: the stream ends without a response and the connection closes.
      this.stat("downstream_rq_header_timeout").inc();
      this.closing = true;
      this.downstream.destroy();
    }
  }

  private onHeaders(head: RequestHead): void {
    if (this.closing || this.closed) return;
    this.clearHeadTimers();
    const stream = new ActiveStream(this, head, this.plugins);
    this.stream = stream;
    // No body: Envoy's codec hands the headers over with end_stream (codec_impl.cc
    // deferred_end_stream_headers_); an upgrade's request stays open.
    stream.start(!head.upgrade && !head.hasBody);
  }

  private onMessageComplete(): void {
    const s = this.stream;
    if (!s || s.isUpgrade || s.requestDone) return; // an upgrade's request never completes (its bytes are the stream's)
    s.onDownstreamData(Buffer.alloc(0), true);
  }

  /** An HTTP/1 codec error: status text as the body, connection closed (codec_impl.cc sendProtocolError). */
  private codecError(e: HttpParseError): void {
    if (this.closing || this.closed) return;
    const status = e instanceof HttpParseError ? e.status : 400;
    this.stat("downstream_cx_protocol_error").inc();
    this.ctx.log("debug", `downstream protocol error: ${e.message}`);
    this.clearHeadTimers();
    if (this.stream) { this.stream.onDownstreamClosed(); return; }
    this.stat(`downstream_rq_${Math.floor(status / 100)}xx`).inc();
    this.reply(status, reasonPhrase(status));
  }

  /** A reply the connection manager makes itself, then the connection closes. */
  private reply(status: number, text: string): void {
    const body = Buffer.from(text);
    const head = serializeResponseHead(status, [
      ["content-length", String(body.length)], ["content-type", "text/plain"], ["date", new Date().toUTCString()],
      ["server", "envoy"], ["connection", "close"],
    ]);
    this.downstream.write(Buffer.concat([head, body]));
    this.closing = true;
    this.downstream.end();
  }

  onEnd(): void {
    // Envoy's HTTP connection manager does not enable half-close: the client's FIN closes the
    // connection (Network::ConnectionImpl, enableHalfClose off by default) and resets its stream,
    // upgraded or not, whatever it waits for.
    const s = this.stream;
    this.closing = true;
    if (s) s.onDownstreamClosed();
    else this.downstream.destroy();
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.clearHeadTimers();
    this.clearConnIdle();
    this.pipelined = [];
    this.codec.close();
    this.stream?.onDownstreamClosed();
    this.gauge("downstream_cx_active").sub(1);
    this.gauge("downstream_cx_http1_active").sub(1);
  }

  onStreamDone(close: boolean): void {
    this.stream = null;
    if (close || this.closed) {
      this.closing = true;
      this.pipelined = [];
      if (!this.downstream.destroyed) this.downstream.end();
      return;
    }
    this.armConnIdle();
    if (this.pipelined.length) {
      setImmediate(() => {
        while (this.pipelined.length && !this.closed && !this.closing) {
          if (this.stream && this.stream.requestDone && !this.stream.isUpgrade) return;
          this.pipelined.shift()!();
        }
        if (this.readDisabledForPipeline && !this.pipelined.length) { this.readDisabledForPipeline = false; this.downstream.readDisable(false); }
      });
    }
  }

  /** common_http_protocol_options.idle_timeout: no active stream for that long closes the connection. */
  private armConnIdle(): void {
    const ms = this.hcm.idleTimeoutMs;
    if (ms <= 0 || this.closed) return;
    if (this.connIdleTimer) { this.connIdleTimer.refresh(); return; }
    this.connIdleTimer = setTimeout(() => {
      this.connIdleTimer = null;
      if (this.stream || this.closed || this.closing || this.codec.midMessage) return;
      this.stat("downstream_cx_idle_timeout").inc();
      this.closing = true;
      this.downstream.end();
    }, ms);
  }

  private clearConnIdle(): void {
    if (this.connIdleTimer) { clearTimeout(this.connIdleTimer); this.connIdleTimer = null; }
  }
}
