// Names this filter puts into stats and shared-data keys.
//
// Service names become a segment of a stat name (wss.<service>.cx_active). Envoy splits stat
// names on "." for tag extraction (stats_config.stats_tags regexes), so a segment must not hold
// a dot; anything outside [A-Za-z0-9_-] becomes "_" and the segment is capped at 64 bytes.
// Limit keys (user or team ids) go into shared-data keys as their FNV-1a 64 hash.

export const MAX_SEGMENT: i32 = 64;

@inline
function segmentChar(c: i32): bool {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c == 0x5f || c == 0x2d;
}

/** A stat-name segment for a service: invalid characters become "_", at most 64 chars.
 *  An empty name returns "" (the caller substitutes the fallback service). */
export function statSegment(name: string): string {
  const n = name.length < MAX_SEGMENT ? name.length : MAX_SEGMENT;
  let clean = true;
  for (let i = 0; i < n; i++) {
    if (!segmentChar(name.charCodeAt(i))) { clean = false; break; }
  }
  if (clean) return n == name.length ? name : name.substring(0, n);
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    out[i] = segmentChar(c) ? String.fromCharCode(c) : "_";
  }
  return out.join("");
}

/** FNV-1a 64 over the UTF-16 code units of s. */
export function fnv1a64(s: string): u64 {
  let h: u64 = 0xcbf29ce484222325;
  for (let i = 0, n = s.length; i < n; i++) {
    h ^= <u64>s.charCodeAt(i);
    h *= 0x100000001b3;
  }
  return h;
}

/** 16 lowercase hex digits of h. */
export function hex64(h: u64): string {
  return h.toString(16).padStart(16, "0");
}

/** Shared-data key of a service's count: "wss.cx.<service>". */
export function serviceCountKey(service: string): string {
  return "wss.cx." + service;
}

/** Shared-data key of one limit key's count within a service:
 *  "wss.cx.<service>.key.<16 hex digits of FNV-1a 64 of the key>". A stream keeps only the
 *  8-byte hash (not the key) to release its slot, and a client cannot make the proxy store
 *  arbitrarily long keys. */
export function keyCountKey(service: string, keyHash: u64): string {
  return "wss.cx." + service + ".key." + hex64(keyHash);
}

/** Shared-data key of a listener's TCP count: "wss.tcp.<listener>". */
export function listenerCountKey(listener: string): string {
  return "wss.tcp." + listener;
}

/** Shared-data key of one source address's TCP count: "wss.tcp.<listener>.src.<ip>". */
export function sourceCountKey(listener: string, ip: string): string {
  return "wss.tcp." + listener + ".src." + ip;
}

/** The address without its port: "10.0.0.1:5555" -> "10.0.0.1", "[::1]:80" -> "::1".
 *  Envoy's source.address property is "ip:port" (IPv6 in brackets). */
export function hostOfAddress(address: string): string {
  if (address.startsWith("[")) {
    const end = address.indexOf("]");
    return end > 0 ? address.substring(1, end) : address;
  }
  const colon = address.lastIndexOf(":");
  if (colon < 0) return address;
  // More than one colon without brackets: a bare IPv6 address, no port.
  if (address.indexOf(":") != colon) return address;
  return address.substring(0, colon);
}

/** The value of query parameter name in a :path ("/x?a=1&b=2"), or null. No percent-decoding:
 *  the raw value is the key, so "%41" and "A" are different keys (documented). */
export function queryParam(path: string, name: string): string | null {
  const q = path.indexOf("?");
  if (q < 0) return null;
  let i = q + 1;
  const n = path.length;
  const hash = path.indexOf("#", i);
  const end = hash < 0 ? n : hash;
  while (i < end) {
    let amp = path.indexOf("&", i);
    if (amp < 0 || amp > end) amp = end;
    const eq = path.indexOf("=", i);
    const keyEnd = eq >= 0 && eq < amp ? eq : amp;
    if (keyEnd - i == name.length && path.substring(i, keyEnd) == name) {
      return keyEnd < amp ? path.substring(keyEnd + 1, amp) : "";
    }
    i = amp + 1;
  }
  return null;
}
