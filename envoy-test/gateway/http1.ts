// HTTP/1.1 pieces shared by both sides: the upstream response head and chunked-body parser (small
// and by hand: a backend's response, bounded by max_request_headers_kb; requests from clients go
// through llhttp in http1-codec.ts), header lookups, and the serialisers for what the gateway
// writes. After a 101 the raw bytes stay ours to pass through the filters (Envoy's codec hands
// them over as body data: source/common/http/http1/codec_impl.cc onMessageCompleteBase / upgrade).
import { asciiLower } from "../host/ascii.ts";
import type { HeaderList } from "../host/index.ts";

export class HttpParseError extends Error {
  /** status Envoy's HTTP/1 codec answers with (400 or 431) and its response code details */
  constructor(readonly status: number, readonly details: string, message: string) {
    super(message);
  }
}

const CRLFCRLF = Buffer.from("\r\n\r\n");
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Index just past the blank line ending the head, or -1 while incomplete. */
export function headEnd(buf: Buffer): number {
  const i = buf.indexOf(CRLFCRLF);
  return i < 0 ? -1 : i + 4;
}

export interface ResponseHead { status: number; reason: string; version: string; headers: HeaderList }

function parseHeaderLines(lines: string[], where: string): HeaderList {
  const headers: HeaderList = [];
  for (const line of lines) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    // http-parser / balsa refuse obs-fold, a name with spaces, and an empty name (RFC 9112 §5).
    if (colon <= 0) throw new HttpParseError(400, "http1.codec_error", `${where}: header line without a name: ${JSON.stringify(line.slice(0, 80))}`);
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) throw new HttpParseError(400, "http1.invalid_characters", `${where}: invalid header name ${JSON.stringify(name.slice(0, 80))}`);
    const value = line.slice(colon + 1).trim();
    if (/[\0\r\n]/.test(value)) throw new HttpParseError(400, "http1.invalid_characters", `${where}: invalid characters in the value of ${name}`);
    headers.push([asciiLower(name), value]);
  }
  return headers;
}

export function parseResponseHead(head: Buffer): ResponseHead {
  const text = head.toString("latin1");
  const lines = text.slice(0, -4).split("\r\n");
  const m = /^HTTP\/(1\.[01]) (\d{3})(?: (.*))?$/.exec(lines[0]);
  if (!m) throw new HttpParseError(502, "upstream_reset_before_response_started{protocol_error}", `status line is not "HTTP/1.x NNN reason": ${JSON.stringify(lines[0].slice(0, 80))}`);
  return { version: m[1], status: Number(m[2]), reason: m[3] ?? "", headers: parseHeaderLines(lines.slice(1), "response") };
}

export function headerValue(h: HeaderList, name: string): string | undefined {
  for (const [k, v] of h) if (k === name) return v;
  return undefined;
}

export function hasToken(h: HeaderList, name: string, token: string): boolean {
  for (const [k, v] of h) if (k === name && asciiLower(v).split(",").some((t) => t.trim() === token)) return true;
  return false;
}

/** Body framing of a message (RFC 9112 §6.3). */
export type Framing = { kind: "none" } | { kind: "length"; remaining: number } | { kind: "chunked" } | { kind: "close" };

export function responseFraming(status: number, method: string, h: HeaderList): Framing {
  if (method === "HEAD" || status === 204 || status === 304 || (status >= 100 && status < 200)) return { kind: "none" };
  const te = headerValue(h, "transfer-encoding");
  if (te !== undefined && asciiLower(te).includes("chunked")) return { kind: "chunked" };
  const cl = headerValue(h, "content-length");
  if (cl !== undefined && /^\d+$/.test(cl)) {
    const n = Number(cl);
    return n === 0 ? { kind: "none" } : { kind: "length", remaining: n };
  }
  return { kind: "close" };
}

/** Incremental chunked-body decoder. push() returns decoded data and whether the last chunk arrived. */
export class ChunkedDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private need = -1;      // bytes of chunk data still expected, -1 reading a size line
  private trailer = false;
  done = false;
  /** bytes after the end of the body (a pipelined next message) */
  rest: Buffer = Buffer.alloc(0);

  push(data: Buffer): Buffer[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, data]) : data;
    const out: Buffer[] = [];
    while (!this.done) {
      if (this.trailer) {
        const e = this.buf.indexOf("\r\n");
        if (e < 0) break;
        const line = this.buf.subarray(0, e);
        this.buf = this.buf.subarray(e + 2);
        if (line.length === 0) { this.done = true; this.rest = this.buf; }
        continue;
      }
      if (this.need < 0) {
        const e = this.buf.indexOf("\r\n");
        if (e < 0) { if (this.buf.length > 1024) throw new HttpParseError(400, "http1.codec_error", "chunk size line too long"); break; }
        const sizeText = this.buf.subarray(0, e).toString("latin1").split(";")[0].trim();
        if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new HttpParseError(400, "http1.codec_error", `invalid chunk size ${JSON.stringify(sizeText)}`);
        this.buf = this.buf.subarray(e + 2);
        const size = parseInt(sizeText, 16);
        if (size === 0) { this.trailer = true; continue; }
        this.need = size;
      }
      if (this.need > 0) {
        if (this.buf.length === 0) break;
        const take = Math.min(this.need, this.buf.length);
        out.push(this.buf.subarray(0, take));
        this.buf = this.buf.subarray(take);
        this.need -= take;
      }
      if (this.need === 0) {
        if (this.buf.length < 2) break;
        if (this.buf[0] !== 13 || this.buf[1] !== 10) throw new HttpParseError(400, "http1.codec_error", "chunk data not followed by CRLF");
        this.buf = this.buf.subarray(2);
        this.need = -1;
      }
    }
    return out;
  }
}

export function encodeChunk(data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from("\r\n")]);
}
export const LAST_CHUNK = Buffer.from("0\r\n\r\n");

const REASONS: Record<number, string> = {
  100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created", 204: "No Content",
  301: "Moved Permanently", 302: "Found", 304: "Not Modified", 400: "Bad Request", 401: "Unauthorized",
  403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout",
  413: "Payload Too Large", 426: "Upgrade Required", 429: "Too Many Requests",
  431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented",
  502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
};
export function reasonPhrase(status: number): string { return REASONS[status] ?? "Unknown"; }

/** Serialises a response head. Header names are written lower-case, as Envoy's HTTP/1 codec does. */
export function serializeResponseHead(status: number, headers: HeaderList): Buffer {
  let s = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`;
  for (const [k, v] of headers) if (!k.startsWith(":")) s += `${k}: ${v}\r\n`;
  return Buffer.from(s + "\r\n", "latin1");
}

export function serializeRequestHead(method: string, path: string, headers: HeaderList): Buffer {
  let s = `${method} ${path} HTTP/1.1\r\n`;
  for (const [k, v] of headers) if (!k.startsWith(":")) s += `${k}: ${v}\r\n`;
  return Buffer.from(s + "\r\n", "latin1");
}
