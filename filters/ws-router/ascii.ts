// ASCII helpers over AssemblyScript (UTF-16) strings, without allocating. HTTP header names,
// methods, tokens and the websocket key are ASCII (RFC 9110 5.1, 5.6.2; RFC 6455 4.1), so code
// units above 0x7f never match and need no special case.

@inline
export function codeAt(s: string, i: i32): u32 {
  return <u32>load<u16>(changetype<usize>(s) + (<usize>i << 1));
}

@inline
function fold(c: u32): u32 {
  return c - 0x41 < 26 ? c | 0x20 : c; // 'A'..'Z' -> 'a'..'z'
}

/** a == b, ASCII case-insensitively (absl::EqualsIgnoreCase). */
export function equalsIgnoreCase(a: string, b: string): bool {
  const n = a.length;
  if (n != b.length) return false;
  for (let i = 0; i < n; i++) if (fold(codeAt(a, i)) != fold(codeAt(b, i))) return false;
  return true;
}

/** s begins with `lowerPrefix` (given in lower case), ASCII case-insensitively. */
export function startsWithLower(s: string, lowerPrefix: string): bool {
  const n = lowerPrefix.length;
  if (s.length < n) return false;
  for (let i = 0; i < n; i++) if (fold(codeAt(s, i)) != codeAt(lowerPrefix, i)) return false;
  return true;
}

/** s[at..at+p.length) == p, case-sensitively (paths are case-sensitive in Envoy's route match). */
export function regionEquals(s: string, at: i32, p: string): bool {
  const n = p.length;
  if (at < 0 || at + n > s.length) return false;
  return memory.compare(changetype<usize>(s) + (<usize>at << 1), changetype<usize>(p), <usize>n << 1) == 0;
}

@inline
function isOws(c: u32): bool {
  return c == 0x20 || c == 0x09;
}

/**
 * A comma-separated list contains `lowerToken` as one element (OWS around elements ignored,
 * ASCII case-insensitive). Mirrors Envoy's StringUtil::caseFindToken(value, ",", token) used by
 * Http::Utility::isUpgrade: "keep-alive, Upgrade" (Firefox) contains "upgrade".
 */
export function hasToken(list: string, lowerToken: string): bool {
  const n = list.length;
  const t = lowerToken.length;
  let i = 0;
  while (i <= n) {
    let start = i;
    let end = i;
    while (end < n && codeAt(list, end) != 0x2c) end++;
    let next = end + 1;
    while (start < end && isOws(codeAt(list, start))) start++;
    while (end > start && isOws(codeAt(list, end - 1))) end--;
    if (end - start == t) {
      let same = true;
      for (let k = 0; k < t; k++) {
        if (fold(codeAt(list, start + k)) != codeAt(lowerToken, k)) { same = false; break; }
      }
      if (same) return true;
    }
    i = next;
  }
  return false;
}

@inline
function isBase64Char(c: u32): bool {
  return (c - 0x41 < 26) || (c - 0x61 < 26) || (c - 0x30 < 10) || c == 0x2b || c == 0x2f;
}

/**
 * A Sec-WebSocket-Key that decodes to exactly 16 bytes (RFC 6455 4.1 item 7, 4.2.1 item 5):
 * 16 bytes are 22 base64 characters of the standard alphabet followed by "==".
 */
export function isWebSocketKey(s: string): bool {
  if (s.length != 24) return false;
  for (let i = 0; i < 22; i++) if (!isBase64Char(codeAt(s, i))) return false;
  return codeAt(s, 22) == 0x3d && codeAt(s, 23) == 0x3d;
}

/** Lower-cases ASCII letters; returns `s` itself when it has none (no allocation). */
export function toLowerAscii(s: string): string {
  const n = s.length;
  let i = 0;
  while (i < n && codeAt(s, i) - 0x41 >= 26) i++;
  if (i == n) return s;
  const out = changetype<string>(__new(<usize>n << 1, idof<string>()));
  for (let k = 0; k < n; k++) {
    store<u16>(changetype<usize>(out) + (<usize>k << 1), <u16>fold(codeAt(s, k)));
  }
  return out;
}
