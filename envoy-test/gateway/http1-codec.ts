// The downstream HTTP/1 request codec: llhttp (the parser node:http runs, through its HTTPParser
// binding) with Envoy's codec rules enforced on top where Envoy is stricter than llhttp
// (source/common/http/http1/codec_impl.cc ServerConnectionImpl, balsa_parser.cc):
// - more than max_headers_count headers: 431 "http1.too_many_headers" (checked while the headers
//   arrive, as codec_impl.cc onHeaderFieldImpl/checkMaxHeadersCount does, so a flood stops early);
// - Transfer-Encoding other than exactly "chunked": 501 "http1.invalid_transfer_encoding";
// - HTTP/1.0 without accept_http_10: 426 "Upgrade Required";
// - an HTTP/1.1 request without Host, or with two differing Host lines: 400 (RFC 9112 §3.2);
// - absolute-form targets ("GET http://host/path"): :path from the URL, host from its authority
//   (codec_impl.cc ServerConnectionImpl::handlePath);
// - repeated header lines of an inline header (connection, upgrade, ...) joined with "," as
//   Envoy's HeaderMapImpl appends to inline headers.
// What llhttp refuses by itself (unknown methods, NUL or spaces in the target, two Content-Length,
// Content-Length with Transfer-Encoding, bad chunk framing, header bytes over the limit) is a 400
// (431 for size), as Envoy's parser refuses the same messages. A leading CRLF is skipped by llhttp
// as by Envoy's codec (RFC 9112 §2.2).
import { createRequire } from "node:module";
import { asciiLower } from "../host/ascii.ts";
import type { HeaderList } from "../host/index.ts";
import { HttpParseError } from "./http1.ts";

interface NodeHttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | (Error & { code: string; bytesParsed: number; reason: string });
  finish(): unknown;
  close(): void;
  [k: number]: unknown;
}
interface NodeHttpParserClass {
  new(): NodeHttpParser;
  REQUEST: number;
  kOnMessageBegin: number; kOnHeaders: number; kOnHeadersComplete: number; kOnBody: number; kOnMessageComplete: number; kOnExecute: number;
}
const require = createRequire(import.meta.url);
const common = require("_http_common") as { HTTPParser: NodeHttpParserClass; methods: string[] };
const { HTTPParser, methods: METHODS } = common;

export interface RequestHead {
  method: string;
  /** origin-form path and query (an absolute-form target is reduced to it) */
  target: string;
  version: string;
  /** lower-cased names; inline headers joined; host set from an absolute-form target */
  headers: HeaderList;
  /** Connection: upgrade with an Upgrade header (or CONNECT), as llhttp and Envoy's isUpgrade decide */
  upgrade: boolean;
  /** a body follows (content-length > 0 or chunked); without one Envoy's codec delivers the headers with end_stream */
  hasBody: boolean;
}

export interface CodecOptions {
  maxRequestHeadersKb: number;
  maxHeadersCount: number;
  acceptHttp10: boolean;
  /** http_protocol_options.default_host_for_http_10: the host of an HTTP/1.0 request without one */
  defaultHostForHttp10?: string;
  /** http_protocol_options.allow_absolute_url (default true) */
  allowAbsoluteUrl: boolean;
}

export interface ServerCodecCallbacks {
  /** the first byte of a request arrived (Envoy creates its ActiveStream here: onMessageBegin) */
  onMessageBegin(): void;
  /** request headers complete; return true to take the rest of the connection as upgrade data */
  onHeaders(head: RequestHead): boolean;
  onBody(data: Buffer): void;
  onMessageComplete(): void;
  /** Envoy's sendProtocolError: answer with the status and close */
  onProtocolError(e: HttpParseError): void;
}

/** Headers Envoy keeps once per map and appends repeated lines to (HeaderMapImpl inline headers). */
const JOINED = new Set(["connection", "upgrade", "transfer-encoding", "te", "keep-alive", "via", "x-forwarded-for", "accept-encoding"]);

const ERRORS: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, "http1.headers_too_large"],
  HPE_INVALID_TRANSFER_ENCODING: [501, "http1.invalid_transfer_encoding"],
  HPE_INVALID_METHOD: [400, "http1.codec_error"],
  HPE_INVALID_URL: [400, "http1.codec_error"],
  HPE_UNEXPECTED_CONTENT_LENGTH: [400, "http1.content_length_not_allowed"],
  HPE_INVALID_CONTENT_LENGTH: [400, "http1.content_length_not_allowed"],
  HPE_INVALID_HEADER_TOKEN: [400, "http1.invalid_characters"],
};

export class ServerCodec {
  private readonly parser: NodeHttpParser;
  private headerCount = 0;
  private partialHeaders: string[] = [];
  private partialUrl = "";
  private failure: HttpParseError | null = null;
  private inMessage = false;
  /** after an upgrade request the parser is done; the rest of the connection is raw data */
  upgraded = false;
  private dead = false;

  constructor(private readonly opts: CodecOptions, private readonly cb: ServerCodecCallbacks) {
    const p = new HTTPParser();
    this.parser = p;
    p[HTTPParser.kOnMessageBegin] = () => {
      this.inMessage = true; this.headerCount = 0;
      if (!this.failure && !this.dead) this.cb.onMessageBegin();
    };
    p[HTTPParser.kOnHeaders] = (headers: string[], url: string) => {
      this.partialHeaders.push(...headers);
      this.partialUrl += url;
      this.countHeaders(headers.length / 2);
    };
    p[HTTPParser.kOnHeadersComplete] = (major: number, minor: number, headers: string[] | undefined, method: number,
      url: string | undefined, _status: unknown, _msg: unknown, upgrade: boolean): number => {
      const all = headers ? [...this.partialHeaders, ...headers] : this.partialHeaders;
      if (headers) this.countHeaders(headers.length / 2);
      const target = this.partialUrl + (url ?? "");
      this.partialHeaders = []; this.partialUrl = "";
      if (this.failure) return -1;
      try {
        const head = this.head(major, minor, all, METHODS[method] ?? "", target, upgrade);
        const asUpgrade = this.cb.onHeaders(head);
        if (asUpgrade) { this.upgraded = true; return 2; } // llhttp: no body, the rest is another protocol
        return 0;
      } catch (e) {
        this.failure = e instanceof HttpParseError ? e : new HttpParseError(400, "http1.codec_error", String(e));
        return -1;
      }
    };
    p[HTTPParser.kOnBody] = (b: Buffer) => { if (!this.failure && !this.dead) this.cb.onBody(b); };
    p[HTTPParser.kOnMessageComplete] = () => { this.inMessage = false; if (!this.failure && !this.dead) this.cb.onMessageComplete(); };
    p[HTTPParser.kOnExecute] = () => {};
    // strict parsing (no lenient flags), header bytes bounded by max_request_headers_kb
    p.initialize(HTTPParser.REQUEST, {}, opts.maxRequestHeadersKb * 1024, 0);
  }

  private countHeaders(n: number): void {
    this.headerCount += n;
    if (this.headerCount > this.opts.maxHeadersCount && !this.failure) {
      this.failure = new HttpParseError(431, "http1.too_many_headers", `more than max_headers_count ${this.opts.maxHeadersCount} request headers`);
    }
  }

  private head(major: number, minor: number, raw: string[], method: string, url: string, upgrade: boolean): RequestHead {
    const version = `${major}.${minor}`;
    // HTTP/0.9 (no version) and versions other than 1.x are not HTTP/1 requests to Envoy's codec
    if (major !== 1 || minor > 1) throw new HttpParseError(400, "http1.codec_error", `request line is not "METHOD target HTTP/1.x" (version ${version})`);
    if (version === "1.0" && !this.opts.acceptHttp10) {
      throw new HttpParseError(426, "http1.http_10_not_allowed", "HTTP/1.0 request (accept_http_10 is false)");
    }
    const headers: HeaderList = [];
    let host: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const name = asciiLower(raw[i]);
      const value = raw[i + 1];
      if (name === "host") {
        if (host !== undefined && host !== value) throw new HttpParseError(400, "http1.codec_error", "two differing host headers");
        if (host !== undefined) continue;
        host = value;
      } else if (JOINED.has(name)) {
        const at = headers.findIndex(([k]) => k === name);
        if (at >= 0) { headers[at] = [name, `${headers[at][1]},${value}`]; continue; }
      }
      headers.push([name, value]);
    }
    const te = headers.find(([k]) => k === "transfer-encoding");
    if (te && asciiLower(te[1].trim()) !== "chunked") {
      throw new HttpParseError(501, "http1.invalid_transfer_encoding", `transfer-encoding ${JSON.stringify(te[1])} is not supported`);
    }
    let target = url;
    if (!url.startsWith("/") && method !== "CONNECT" && url !== "*") {
      // absolute-form: the path routes, the authority becomes the host
      if (!this.opts.allowAbsoluteUrl) throw new HttpParseError(400, "http1.invalid_url", "absolute-form request target (allow_absolute_url is false)");
      let u: URL;
      try { u = new URL(url); } catch { throw new HttpParseError(400, "http1.invalid_url", `invalid request target ${JSON.stringify(url.slice(0, 80))}`); }
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new HttpParseError(400, "http1.invalid_url", `invalid request target ${JSON.stringify(url.slice(0, 80))}`);
      target = u.pathname + u.search;
      const authority = url.slice(u.protocol.length + 2).split(/[/?#]/)[0];
      const hi = headers.findIndex(([k]) => k === "host");
      if (hi >= 0) headers[hi] = ["host", authority]; else headers.unshift(["host", authority]);
      host = authority;
    }
    if (version === "1.0" && host === undefined && this.opts.defaultHostForHttp10) {
      headers.unshift(["host", this.opts.defaultHostForHttp10]);
      host = this.opts.defaultHostForHttp10;
    }
    if (version === "1.1" && host === undefined) {
      throw new HttpParseError(400, "missing_host_header", "HTTP/1.1 request without a host header");
    }
    const cl = headers.find(([k]) => k === "content-length");
    const hasBody = te !== undefined || (cl !== undefined && Number(cl[1]) > 0);
    return { method, target, version, headers, upgrade, hasBody };
  }

  /** Feeds bytes; returns the bytes after an upgrade request's head (raw stream data), if any. */
  execute(data: Buffer): Buffer | null {
    if (this.dead) return null;
    if (this.upgraded) return data;
    const r = this.parser.execute(data);
    if (this.failure || typeof r !== "number") {
      const e = this.failure ?? mapError(r as Error & { code: string; reason: string });
      this.dead = true;
      this.cb.onProtocolError(e);
      return null;
    }
    if (this.upgraded && r < data.length) return data.subarray(r);
    return null;
  }

  /** true while a request's bytes have started arriving and its message is not complete */
  get midMessage(): boolean { return this.inMessage; }

  close(): void {
    if (this.dead) return;
    this.dead = true;
    this.parser.close();
  }
}

function mapError(e: Error & { code?: string; reason?: string }): HttpParseError {
  if (e.code === "HPE_INVALID_TRANSFER_ENCODING" && /Content-Length/.test(e.reason ?? "")) {
    // chunked with a content-length: Envoy's 400 unless allow_chunked_length (codec_impl.cc)
    return new HttpParseError(400, "http1.content_length_and_chunked_not_allowed", "request has both content-length and transfer-encoding");
  }
  const [status, details] = ERRORS[e.code ?? ""] ?? [400, "http1.codec_error"];
  return new HttpParseError(status, details, `${e.code ?? "parse error"}: ${e.reason ?? e.message}`);
}
