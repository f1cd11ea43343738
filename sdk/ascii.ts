// ASCII helpers over AssemblyScript (UTF-16) strings, the one copy every filter uses. Header
// names, tokens and extension names are ASCII (RFC 9110 5.1, 5.6.2) and Envoy folds them
// ASCII-only (LowerCaseString: absl::AsciiStrToLower), so code units above 0x7f never match and
// need no special case. String#toLowerCase would link Unicode case tables (about 11 KB of data)
// into the module. Pure code, valid anywhere; nothing here allocates except asciiLower's copy.

/** The UTF-16 code unit at i (no bounds check: callers stay inside the string). */
@inline
export function codeAt(s: string, i: i32): u32 {
  return <u32>load<u16>(changetype<usize>(s) + (<usize>i << 1));
}

/** c with 'A'..'Z' mapped to 'a'..'z'. */
@inline
export function foldAscii(c: u32): u32 {
  return c - 0x41 < 26 ? c | 0x20 : c;
}

/** `s` with A-Z mapped to a-z; other code units unchanged. Returns `s` itself (no allocation)
 *  when it has no upper-case ASCII letter. */
export function asciiLower(s: string): string {
  const n = s.length;
  const src = changetype<usize>(s);
  let i = 0;
  while (i < n && <u32>(load<u16>(src + (<usize>i << 1)) - 0x41) >= 26) i++;
  if (i == n) return s;
  const out = changetype<string>(__new(<usize>n << 1, idof<string>()));
  const dst = changetype<usize>(out);
  memory.copy(dst, src, <usize>i << 1);
  for (; i < n; i++) {
    const c = load<u16>(src + (<usize>i << 1));
    store<u16>(dst + (<usize>i << 1), <u32>(c - 0x41) < 26 ? c | 0x20 : c);
  }
  return out;
}

/** a == b, ASCII case-insensitively (absl::EqualsIgnoreCase). */
export function equalsIgnoreCase(a: string, b: string): bool {
  const n = a.length;
  if (n != b.length) return false;
  for (let i = 0; i < n; i++) if (foldAscii(codeAt(a, i)) != foldAscii(codeAt(b, i))) return false;
  return true;
}

/** s begins with `lowerPrefix` (given in lower case), ASCII case-insensitively. */
export function startsWithLower(s: string, lowerPrefix: string): bool {
  const n = lowerPrefix.length;
  if (s.length < n) return false;
  for (let i = 0; i < n; i++) if (foldAscii(codeAt(s, i)) != codeAt(lowerPrefix, i)) return false;
  return true;
}

@inline
function isOws(c: u32): bool {
  return c == 0x20 || c == 0x09;
}

/** s[start..end) equals `lower` (given in lower case), ASCII case-insensitively. */
function regionIsLower(s: string, start: i32, end: i32, lower: string): bool {
  const t = lower.length;
  if (end - start != t) return false;
  for (let k = 0; k < t; k++) if (foldAscii(codeAt(s, start + k)) != codeAt(lower, k)) return false;
  return true;
}

/**
 * Some element of a comma-separated list, up to its first `cut` character (OWS around it
 * ignored), equals `lower`, ASCII case-insensitively. One scan serves both list readers below.
 */
function listHas(list: string, lower: string, cut: u32): bool {
  const n = list.length;
  let i = 0;
  while (i <= n) {
    let start = i;
    let end = i;
    while (end < n && codeAt(list, end) != 0x2c) end++;
    const next = end + 1;
    let keyEnd = start;
    while (keyEnd < end && codeAt(list, keyEnd) != cut) keyEnd++;
    while (start < keyEnd && isOws(codeAt(list, start))) start++;
    while (keyEnd > start && isOws(codeAt(list, keyEnd - 1))) keyEnd--;
    if (regionIsLower(list, start, keyEnd, lower)) return true;
    i = next;
  }
  return false;
}

/**
 * A comma-separated list contains `lowerToken` as one element (OWS around elements ignored,
 * ASCII case-insensitive): Envoy's StringUtil::caseFindToken(value, ",", token), which
 * Http::Utility::isUpgrade uses on Connection. "keep-alive, Upgrade" (Firefox) contains "upgrade".
 */
export function hasToken(list: string, lowerToken: string): bool {
  return listHas(list, lowerToken, 0x2c);
}

/**
 * A comma-separated list of `name; param=value` elements (RFC 9110 5.6.1; Sec-WebSocket-Extensions,
 * RFC 6455 9.1) has an element named `lowerName`, ASCII case-insensitively.
 */
export function hasListElementNamed(list: string, lowerName: string): bool {
  return listHas(list, lowerName, 0x3b);
}
