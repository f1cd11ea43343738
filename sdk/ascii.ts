// ASCII case folding. Header names, tokens and extension names are ASCII (RFC 9110 5.1, 5.6.2)
// and Envoy folds them ASCII-only (LowerCaseString: absl::AsciiStrToLower). String#toLowerCase
// would link Unicode case tables (about 11 KB of data) into the module.

/** `s` with A-Z mapped to a-z; other code units unchanged. Returns `s` itself (no allocation)
 *  when it has no upper-case ASCII letter. Pure, valid anywhere. */
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
