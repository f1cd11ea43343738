// One websocket's life as this filter sees it, packed in one byte.
//
//   request headers ──acquire──▶ RESERVED (+KEY) ──:status 101──▶ ACTIVE
//          │                          │                            │
//          └──────────── ENDED ◀──────┴──── any end callback ──────┘
//
// Envoy ends a stream's Wasm context with proxy_on_done + proxy_on_delete (Context::onDestroy,
// envoy source/extensions/common/wasm/context.cc) and, separately, proxy_on_log from the access
// log path (Context::log); their order differs between Envoy versions and a context that never
// saw request headers can still get on_log (Context::log calls onCreate for local replies that
// short-circuit the filter chain). So every one of the three calls end(), and end() acts only
// the first time: a reservation is released exactly once whichever arrives first.

export const RESERVED: u8 = 1;   // the service count holds one slot for this stream
export const KEY: u8 = 2;        // the per-key count holds one slot for this stream
export const ACTIVE: u8 = 4;     // the upgrade succeeded: cx_active holds one for this stream
export const ENDED: u8 = 8;      // end() ran: nothing is held any more

/** What end() must undo, as flags (RESERVED | KEY | ACTIVE); 0 when already ended. */
@inline
export function toRelease(flags: u8): u8 {
  return (flags & ENDED) != 0 ? 0 : flags & (RESERVED | KEY | ACTIVE);
}

/** True when a response with this status makes a reserved stream active. Filters always see
 *  the HTTP/1.1 form: Envoy's HTTP/2 codec turns an extended CONNECT (RFC 8441) into
 *  `upgrade: websocket` before the filter chain and turns the 101 back into 200 only when
 *  encoding (source/common/http/http2/codec_impl.cc, StreamImpl::encodeHeaders calling
 *  Utility::transformUpgradeResponseFromH1toH2), so 101 is the one success status. */
@inline
export function upgradeSucceeded(flags: u8, status: i32): bool {
  return (flags & (RESERVED | ACTIVE | ENDED)) == RESERVED && status == 101;
}

/** Parses a :status value ("101") without allocating; -1 when not three digits. */
export function parseStatus(s: string): i32 {
  if (s.length != 3) return -1;
  let v = 0;
  for (let i = 0; i < 3; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
