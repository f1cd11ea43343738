// ws-router's own string checks, without allocating (the general ASCII helpers are sdk/ascii.ts).
import { codeAt } from "../../sdk/ascii";

/** s[at..at+p.length) == p, case-sensitively (paths are case-sensitive in Envoy's route match). */
export function regionEquals(s: string, at: i32, p: string): bool {
  const n = p.length;
  if (at < 0 || at + n > s.length) return false;
  return memory.compare(changetype<usize>(s) + (<usize>at << 1), changetype<usize>(p), <usize>n << 1) == 0;
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
