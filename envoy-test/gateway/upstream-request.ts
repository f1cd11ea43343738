// One request to one upstream host, as Envoy's Router::UpstreamRequest (source/common/router/
// upstream_request.cc) with the HTTP/1 client codec under it: connects (upstream.ts), writes the
// finalized request head and body (chunked when the request was), parses the response head and
// its framing, and reports to the router through a narrow interface (RouterFilterInterface in
// Envoy: onUpstreamHeaders, onUpstreamData, onUpstreamReset, the watermark callbacks).
import type net from "node:net";
import type { HeaderList } from "../host/index.ts";
import type { Cluster, UpstreamHost } from "./cluster.ts";
import {
  ChunkedDecoder, encodeChunk, headEnd, HttpParseError, LAST_CHUNK, parseResponseHead, responseFraming, type Framing,
} from "./http1.ts";
import { connectFailureBody, type ConnectError, connectUpstream } from "./upstream.ts";

export const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade", "trailer"]);

const RESET_BEFORE_HEADERS = "upstream connect error or disconnect/reset before headers. reset reason: ";

/** What the upstream request tells the router (Envoy's RouterFilterInterface). */
export interface UpstreamRequestCallbacks {
  /** response headers, hop-by-hop headers removed unless the response is the 101 of an upgrade */
  onUpstreamHeaders(status: number, headers: HeaderList, upgraded: boolean, endOfStream: boolean): void;
  onUpstreamData(data: Buffer, endOfStream: boolean): void;
  /** the response is complete (its framing ended, or the close that delimits it) */
  onUpstreamComplete(status: number): void;
  /** connect failure, protocol error, or a close the response did not end with */
  onUpstreamReset(body: string, details: string, afterHeaders: boolean, log?: string): void;
  /** bytes queued toward the host passed the cluster's buffer limit / drained to half of it */
  onAboveWriteBufferHighWatermark(): void;
  onBelowWriteBufferLowWatermark(): void;
  /** holds writes toward the client while one read is processed (a 101 and its first frame together) */
  batch(fn: () => void): void;
  /** bytes arrived from the host (the stream idle timer restarts) */
  onActivity(): void;
}

export interface UpstreamRequestOptions {
  upgrade: boolean;
  method: string;
  requestChunked: boolean;
  maxResponseHeadersBytes: number;
}

export class UpstreamRequest {
  private sock: net.Socket | null = null;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private requestEnded = false;
  private buf: Buffer = Buffer.alloc(0);
  private headParsed = false;
  private framing: Framing = { kind: "none" };
  private chunked: ChunkedDecoder | null = null;
  private status = 0;
  private complete = false;
  private ended = false;
  private destroyed = false;
  private aboveHigh = false;
  private readPaused = false;
  /** the host answered an upgrade with 101: raw bytes both ways from here */
  upgraded = false;

  constructor(readonly cluster: Cluster, readonly host: UpstreamHost, head: Buffer,
    private readonly opts: UpstreamRequestOptions, private readonly cb: UpstreamRequestCallbacks) {
    this.queue(head);
    connectUpstream(cluster, host).then((sock) => this.onConnected(sock), (e: ConnectError) => {
      if (this.destroyed) return;
      this.destroyed = true;
      this.cb.onUpstreamReset(connectFailureBody(e), `upstream_reset_before_response_started{${e.reason}}`, false);
    });
  }

  private get limit(): number { return this.cluster.config.bufferLimitBytes; }

  private queue(b: Buffer): void {
    this.pending.push(b);
    this.pendingBytes += b.length;
    // the router's buffer for a request whose upstream is not connected yet is bounded too
    if (this.pendingBytes > this.limit) this.setAboveHigh(true);
  }

  private setAboveHigh(above: boolean): void {
    if (above === this.aboveHigh) return;
    this.aboveHigh = above;
    if (above) this.cb.onAboveWriteBufferHighWatermark(); else this.cb.onBelowWriteBufferLowWatermark();
  }

  /**
   * A write toward the host with the connection's watermarks (network/connection_impl.cc; the
   * router read-disables the client above the limit until the queued bytes drained to half).
   */
  private write(b: Uint8Array): void {
    const sock = this.sock!;
    sock.write(b, () => { if (this.aboveHigh && sock.writableLength <= this.limit / 2) this.setAboveHigh(false); });
    if (sock.writableLength > this.limit) this.setAboveHigh(true);
  }

  private onConnected(sock: net.Socket): void {
    if (this.destroyed) { sock.destroy(); return; }
    this.sock = sock;
    const pending = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.aboveHigh = false;
    for (const b of pending) this.write(b);
    if (this.readPaused) sock.pause();
    if (this.requestEnded && this.opts.upgrade) sock.end();
    sock.on("data", (d: Buffer) => {
      if (this.headParsed) this.onData(d);
      else this.cb.batch(() => this.onData(d));
    });
    sock.on("end", () => this.onEnd());
    sock.on("error", () => { /* "close" follows */ });
    sock.on("close", (hadError) => this.onClose(hadError));
  }

  /** Request body from the router (after a 101: raw bytes). */
  encodeData(data: Uint8Array, endOfStream: boolean): void {
    if (this.destroyed) return;
    let out: Uint8Array = data;
    if (!this.opts.upgrade && this.opts.requestChunked) {
      out = Buffer.concat([data.length ? encodeChunk(data) : Buffer.alloc(0), endOfStream ? LAST_CHUNK : Buffer.alloc(0)]);
    }
    if (endOfStream) this.requestEnded = true;
    if (this.sock) {
      if (out.length) this.write(out);
      if (endOfStream && this.opts.upgrade) this.sock.end();
    } else if (out.length) this.queue(Buffer.from(out));
  }

  /** The client's buffer passed its limit: stop reading the host until it drained. */
  readDisable(disable: boolean): void {
    this.readPaused = disable;
    if (!this.sock) return;
    if (disable) this.sock.pause(); else this.sock.resume();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.sock?.destroy();
    this.pending = [];
  }

  private onData(d: Buffer): void {
    if (this.destroyed) return;
    this.cb.onActivity();
    if (this.upgraded) { this.cb.onUpstreamData(d, false); return; }
    if (!this.headParsed) {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      const end = headEnd(this.buf);
      if (end < 0) {
        if (this.buf.length > this.opts.maxResponseHeadersBytes) this.protocolError("response headers too large");
        return;
      }
      let head;
      try { head = parseResponseHead(this.buf.subarray(0, end)); } catch (e) {
        this.protocolError((e as HttpParseError).message);
        return;
      }
      const rest = this.buf.subarray(end);
      this.buf = Buffer.alloc(0);
      if (head.status >= 100 && head.status < 200 && head.status !== 101) {
        // 100-continue and other interim responses are not proxied by default (proxy_100_continue false).
        if (rest.length) this.onData(rest);
        return;
      }
      this.headParsed = true;
      this.status = head.status;
      const upgradeOk = head.status === 101 && this.opts.upgrade;
      const headers: HeaderList = [[":status", String(head.status)]];
      for (const [k, v] of head.headers) {
        if (!upgradeOk && HOP_BY_HOP.has(k)) continue;
        headers.push([k, v]);
      }
      if (upgradeOk) {
        this.upgraded = true;
        this.framing = { kind: "close" };
      } else {
        this.framing = responseFraming(head.status, this.opts.method, head.headers);
        if (this.framing.kind === "chunked") this.chunked = new ChunkedDecoder();
      }
      const eos = this.framing.kind === "none";
      this.cb.onUpstreamHeaders(head.status, headers, upgradeOk, eos);
      if (eos) this.onComplete();
      if (rest.length && !this.destroyed) this.onData(rest);
      return;
    }
    const f = this.framing;
    if (f.kind === "length") {
      const take = Math.min(f.remaining, d.length);
      f.remaining -= take;
      const done = f.remaining === 0;
      this.cb.onUpstreamData(d.subarray(0, take), done);
      if (done) this.onComplete();
    } else if (f.kind === "chunked" && this.chunked) {
      let parts: Buffer[];
      try { parts = this.chunked.push(d); } catch (e) { this.protocolError((e as Error).message); return; }
      for (const p of parts) this.cb.onUpstreamData(p, false);
      if (this.chunked.done) { this.cb.onUpstreamData(Buffer.alloc(0), true); this.onComplete(); }
    } else if (f.kind === "close") {
      this.cb.onUpstreamData(d, false);
    }
  }

  private onEnd(): void {
    if (this.destroyed) return;
    if (this.upgraded) {
      // The host half-closed: end_of_stream on the response body (Envoy: onUpstreamData end_stream).
      this.ended = true;
      this.cb.onUpstreamData(Buffer.alloc(0), true);
      return;
    }
    if (this.headParsed && this.framing.kind === "close") {
      this.cb.onUpstreamData(Buffer.alloc(0), true);
      this.onComplete();
    }
  }

  private onClose(hadError: boolean): void {
    if (this.destroyed) return;
    if (this.upgraded) {
      if (hadError || !this.ended) this.reset("connection termination", "upstream_reset_after_response_started{connection_termination}");
      return;
    }
    if (this.complete) return;
    if (!this.headParsed || this.framing.kind !== "close") {
      this.reset("connection termination", "upstream_reset_before_response_started{connection_termination}");
    }
  }

  /** A malformed response: a local reply while the client has seen nothing, else a reset. */
  private protocolError(msg: string): void {
    this.destroy();
    this.cb.onUpstreamReset(RESET_BEFORE_HEADERS + "protocol error", "upstream_reset_before_response_started{protocol_error}", false, `upstream protocol error: ${msg}`);
  }

  private reset(reason: string, details: string): void {
    const afterHeaders = this.headParsed;
    this.destroy();
    this.cb.onUpstreamReset(RESET_BEFORE_HEADERS + reason, details, afterHeaders);
  }

  private onComplete(): void {
    if (this.complete) return;
    this.complete = true;
    this.cb.onUpstreamComplete(this.status);
    // no connection pool: the connection closes after its response
    this.sock?.end();
  }
}
