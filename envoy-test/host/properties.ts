// proxy_get_property paths and value encodings, as Envoy serialises CEL values
// (source/extensions/common/wasm/context.cc Context::getProperty, serializeValue, findValue;
// attribute names from source/extensions/filters/common/expr/context.h and the spec's
// "Well-known properties"): a path is its segments joined by NUL ("request\0path"); strings and
// bytes are raw, ints/uints/timestamps/durations 8-byte little-endian, doubles 8-byte IEEE,
// bools 1 byte, maps the header-pair serialisation.
import { asciiLower } from "./ascii.ts";
import { encodePairs, text, utf8 } from "./codec.ts";
import type { HeaderList, PropertyValue } from "./types.ts";

export function encodeProperty(v: PropertyValue | undefined): Uint8Array | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return utf8(v);
  if (v instanceof Uint8Array) return v;
  if (typeof v === "boolean") return Uint8Array.of(v ? 1 : 0);
  const out = new Uint8Array(8);
  const dv = new DataView(out.buffer);
  if (typeof v === "bigint") dv.setBigUint64(0, BigInt.asUintN(64, v), true);
  else if (Number.isInteger(v)) dv.setBigInt64(0, BigInt(v), true);
  else dv.setFloat64(0, v, true);
  return out;
}

/** Splits a NUL-separated property path into its segments (Envoy ignores a trailing NUL). */
export function splitPath(path: Uint8Array): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i === path.length || path[i] === 0) {
      if (i > start || i < path.length) parts.push(text(path.subarray(start, i)));
      start = i + 1;
    }
  }
  return parts;
}

function headerValue(headers: HeaderList, name: string): string | null {
  const key = asciiLower(name);
  let out: string | null = null;
  for (const [k, v] of headers) if (k === key) out = out === null ? v : `${out},${v}`;
  return out;
}

function urlPath(path: string): string {
  const q = path.indexOf("?");
  return q < 0 ? path : path.slice(0, q);
}

/**
 * The request.* / response.* attributes Envoy derives from the stream's headers
 * (expr/context.cc RequestWrapper, ResponseWrapper). Returns undefined when not derived here.
 */
export function derivedHttpProperty(parts: string[], req: HeaderList, resp: HeaderList, respTrailers: HeaderList):
  PropertyValue | HeaderList | undefined {
  const [top, field, key] = parts;
  if (top === "request") {
    switch (field) {
      case "path": return headerValue(req, ":path");
      case "url_path": { const p = headerValue(req, ":path"); return p === null ? null : urlPath(p); }
      case "host": return headerValue(req, ":authority");
      case "scheme": return headerValue(req, ":scheme");
      case "method": return headerValue(req, ":method");
      case "referer": return headerValue(req, "referer");
      case "useragent": return headerValue(req, "user-agent");
      case "id": return headerValue(req, "x-request-id");
      case "query": { const p = headerValue(req, ":path"); if (p === null) return null; const q = p.indexOf("?"); return q < 0 ? "" : p.slice(q + 1); }
      case "headers": return parts.length === 2 ? req : headerValue(req, key);
    }
  } else if (top === "response") {
    switch (field) {
      case "code": { const s = headerValue(resp, ":status"); return s === null ? null : Number.parseInt(s, 10); }
      case "headers": return parts.length === 2 ? resp : headerValue(resp, key);
      case "trailers": return parts.length === 2 ? respTrailers : headerValue(respTrailers, key);
    }
  }
  return undefined;
}

export function encodeAny(v: PropertyValue | HeaderList | undefined): Uint8Array | null {
  if (Array.isArray(v)) return encodePairs(v);
  return encodeProperty(v as PropertyValue | undefined);
}

/**
 * Envoy's default bootstrap Node, serialised as envoy.config.core.v3.Node {id: 1, cluster: 2}
 * (what `xds.node` returns: the message's protobuf bytes).
 */
export function defaultNode(id = "proxy-wasm-as", cluster = "local"): Uint8Array {
  const a = utf8(id), b = utf8(cluster);
  if (a.length > 127 || b.length > 127) throw new Error("defaultNode: id and cluster must be under 128 bytes");
  const out = new Uint8Array(4 + a.length + b.length);
  out[0] = 0x0a; out[1] = a.length; out.set(a, 2);
  out[2 + a.length] = 0x12; out[3 + a.length] = b.length; out.set(b, 4 + a.length);
  return out;
}
