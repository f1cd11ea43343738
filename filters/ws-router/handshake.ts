// Websocket opening-handshake checks on the request headers (RFC 6455 4.2.1), done in the order
// a server reads them. Envoy itself only recognises an upgrade by Connection + Upgrade
// (sdk/websocket/handshake.ts, as Http::Utility::isWebSocketUpgradeRequest); the version and key
// checks are this filter's, so a malformed handshake is refused at the edge with its reason
// instead of reaching a backend.
import { connectionHasUpgrade, upgradeIsWebSocket } from "../../sdk/websocket";
import { isWebSocketKey } from "./ascii";

export enum Handshake {
  /** No Upgrade header and no Sec-WebSocket-Key: a plain HTTP request (a browser). */
  NotUpgrade = 0,
  Valid = 1,
  BadMethod = 2,
  BadUpgrade = 3,
  BadConnection = 4,
  BadVersion = 5,
  BadKey = 6,
}

/** The request header values the handshake depends on; null when absent. */
export class UpgradeHeaders {
  method: string = "";
  upgrade: string | null = null;
  connection: string | null = null;
  version: string | null = null;
  key: string | null = null;
  /** More than one Sec-WebSocket-Key / -Version line: ambiguous, refused (RFC 6455 4.1). */
  duplicateKey: bool = false;
  duplicateVersion: bool = false;

  reset(): void {
    this.method = "";
    this.upgrade = null;
    this.connection = null;
    this.version = null;
    this.key = null;
    this.duplicateKey = false;
    this.duplicateVersion = false;
  }
}

export function checkHandshake(h: UpgradeHeaders): Handshake {
  if (h.upgrade === null && h.key === null) return Handshake.NotUpgrade;
  if (h.method != "GET") return Handshake.BadMethod;
  // Both together are isWebSocketUpgrade: what Envoy takes for a websocket.
  if (!upgradeIsWebSocket(h.upgrade)) return Handshake.BadUpgrade;
  if (!connectionHasUpgrade(h.connection)) return Handshake.BadConnection;
  const version = h.version;
  if (h.duplicateVersion || version === null || version != "13") return Handshake.BadVersion;
  const key = h.key;
  if (h.duplicateKey || key === null || !isWebSocketKey(key)) return Handshake.BadKey;
  return Handshake.Valid;
}

// Response bodies of the 400 reply, one per reason (kept as constants: static data, no concat).
const REASON_METHOD = "bad websocket upgrade: method must be GET\n";
const REASON_UPGRADE = "bad websocket upgrade: Upgrade header must be \"websocket\"\n";
const REASON_CONNECTION = "bad websocket upgrade: Connection header must contain \"upgrade\"\n";
const REASON_VERSION = "bad websocket upgrade: Sec-WebSocket-Version must be 13\n";
const REASON_KEY = "bad websocket upgrade: Sec-WebSocket-Key must be base64 of 16 bytes\n";

export function handshakeReason(r: Handshake): string {
  switch (r) {
    case Handshake.BadMethod: return REASON_METHOD;
    case Handshake.BadUpgrade: return REASON_UPGRADE;
    case Handshake.BadConnection: return REASON_CONNECTION;
    case Handshake.BadVersion: return REASON_VERSION;
    case Handshake.BadKey: return REASON_KEY;
    default: return "";
  }
}

/** Response-code details (Envoy's %RESPONSE_CODE_DETAILS%: no spaces allowed there). */
export function handshakeDetails(r: Handshake): string {
  switch (r) {
    case Handshake.BadMethod: return "ws_router_bad_method";
    case Handshake.BadUpgrade: return "ws_router_bad_upgrade";
    case Handshake.BadConnection: return "ws_router_bad_connection";
    case Handshake.BadVersion: return "ws_router_bad_version";
    case Handshake.BadKey: return "ws_router_bad_key";
    default: return "ws_router_not_upgrade";
  }
}
