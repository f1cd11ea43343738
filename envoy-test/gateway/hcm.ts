// envoy.filters.network.http_connection_manager over HTTP/1.1 on one downstream connection:
// parses requests, enforces max_request_headers_kb (431) and message syntax (400) as Envoy's HTTP/1
// codec does (source/common/http/http1/codec_impl.cc: sendProtocolError answers with the status
// text as body and closes the connection), runs one stream at a time (HTTP/1.1 has no
// multiplexing; pipelined requests wait) and hands raw bytes to the stream after an upgrade.
import type { Plugin } from "../host/index.ts";
import { ActiveStream, type StreamOwner } from "./active-stream.ts";
import type { HcmConfig } from "./config-model.ts";
import type { Downstream, GatewayContext, TerminalFilter } from "./context.ts";
import {
  ChunkedDecoder, headEnd, HttpParseError, parseRequestHead, reasonPhrase, requestFraming,
  serializeResponseHead, type Framing,
} from "./http1.ts";
import type { RouteTable } from "./route-table.ts";

export class HttpConnectionManager implements TerminalFilter, StreamOwner {
  private buf: Buffer = Buffer.alloc(0);
  private stream: ActiveStream | null = null;
  private framing: Framing = { kind: "none" };
  private chunked: ChunkedDecoder | null = null;
  private closing = false;
  private closed = false;
  private readonly prefix: string;

  constructor(readonly downstream: Downstream, readonly hcm: HcmConfig, readonly routes: RouteTable,
    readonly ctx: GatewayContext, private readonly plugins: Plugin[]) {
    this.prefix = `http.${hcm.statPrefix}.`;
    this.stat("downstream_cx_total").inc();
    this.stat("downstream_cx_http1_total").inc();
    this.gauge("downstream_cx_active").add(1);
    this.gauge("downstream_cx_http1_active").add(1);
  }

  stat(name: string) { return this.ctx.stats.counter(this.prefix + name); }
  gauge(name: string) { return this.ctx.stats.gauge(this.prefix + name); }

  onData(data: Buffer): void {
    if (this.closing || this.closed) return;
    const s = this.stream;
    if (s && s.isUpgrade) { s.onDownstreamData(data, false); return; }
    if (s && !s.requestDone && this.framing.kind !== "none") { this.feedBody(data); return; }
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    this.process();
  }

  private process(): void {
    while (!this.stream && !this.closing && !this.closed && this.buf.length) {
      const limit = this.hcm.maxRequestHeadersKb * 1024;
      const end = headEnd(this.buf);
      if ((end < 0 && this.buf.length > limit) || end > limit) {
        this.codecError(new HttpParseError(431, "http1.headers_too_large", `request headers exceed max_request_headers_kb ${this.hcm.maxRequestHeadersKb}`));
        return;
      }
      if (end < 0) return;
      let head; let framing: Framing;
      try {
        head = parseRequestHead(this.buf.subarray(0, end));
        framing = requestFraming(head.headers);
        if (head.version === "1.1" && !head.headers.some(([k]) => k === "host")) {
          // RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400 (codec_impl.cc "missing_host_header").
          throw new HttpParseError(400, "missing_host_header", "HTTP/1.1 request without a host header");
        }
      } catch (e) {
        this.codecError(e as HttpParseError);
        return;
      }
      const rest = this.buf.subarray(end);
      this.buf = Buffer.alloc(0);
      const stream = new ActiveStream(this, head, this.plugins);
      this.stream = stream;
      if (stream.isUpgrade) {
        // Everything after an upgrade request is stream data (codec_impl.cc onMessageComplete with upgrade).
        stream.start(false);
        if (rest.length && this.stream === stream) stream.onDownstreamData(rest, false);
        return;
      }
      this.framing = framing;
      this.chunked = framing.kind === "chunked" ? new ChunkedDecoder() : null;
      if (framing.kind === "none") {
        this.buf = rest; // a pipelined request waits until this stream is done
        stream.start(true);
        return;
      }
      stream.start(false);
      if (rest.length && this.stream === stream) this.feedBody(rest);
      return;
    }
  }

  private feedBody(data: Buffer): void {
    const s = this.stream!;
    const f = this.framing;
    if (f.kind === "length") {
      const take = Math.min(f.remaining, data.length);
      f.remaining -= take;
      const rest = data.subarray(take);
      const done = f.remaining === 0;
      if (done) this.framing = { kind: "none" };
      if (rest.length) this.buf = Buffer.concat([this.buf, rest]);
      s.onDownstreamData(data.subarray(0, take), done);
    } else if (f.kind === "chunked" && this.chunked) {
      let parts: Buffer[];
      try { parts = this.chunked.push(data); } catch (e) { this.codecError(e as HttpParseError); return; }
      const done = this.chunked.done;
      for (let i = 0; i < parts.length; i++) s.onDownstreamData(parts[i], done && i === parts.length - 1);
      if (done) {
        if (parts.length === 0) s.onDownstreamData(Buffer.alloc(0), true);
        if (this.chunked.rest.length) this.buf = Buffer.concat([this.buf, this.chunked.rest]);
        this.framing = { kind: "none" };
        this.chunked = null;
      }
    }
  }

  /** An HTTP/1 codec error: status text as the body, connection closed (codec_impl.cc sendProtocolError). */
  private codecError(e: HttpParseError): void {
    const status = e instanceof HttpParseError ? e.status : 400;
    this.stat("downstream_cx_protocol_error").inc();
    this.stat(`downstream_rq_${Math.floor(status / 100)}xx`).inc();
    this.ctx.log("debug", `downstream protocol error: ${e.message}`);
    if (this.stream) { this.stream.onDownstreamClosed(); return; }
    const body = Buffer.from(reasonPhrase(status));
    const head = serializeResponseHead(status, [
      ["content-length", String(body.length)], ["content-type", "text/plain"], ["date", new Date().toUTCString()],
      ["server", "envoy"], ["connection", "close"],
    ]);
    this.downstream.write(Buffer.concat([head, body]));
    this.closing = true;
    this.downstream.end();
  }

  onEnd(): void {
    const s = this.stream;
    if (s && s.isUpgrade) { s.onDownstreamData(Buffer.alloc(0), true); return; }
    // HTTP/1.1 without an upgrade: the client closing its side ends the connection (Envoy does not
    // half-close HTTP/1 downstream connections); an unfinished stream is reset.
    if (s) s.onDownstreamClosed();
    else { this.closing = true; this.downstream.end(); }
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream?.onDownstreamClosed();
    this.gauge("downstream_cx_active").sub(1);
    this.gauge("downstream_cx_http1_active").sub(1);
  }

  onStreamDone(close: boolean): void {
    this.stream = null;
    if (close) {
      this.closing = true;
      if (!this.downstream.destroyed) this.downstream.end();
      return;
    }
    if (this.buf.length) setImmediate(() => this.process());
  }
}
