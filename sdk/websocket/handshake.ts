// The websocket opening handshake as Envoy decides it, for every filter that needs to know
// (ws-router, conn-accounting, drain-signal): one copy of each rule.
import { equalsIgnoreCase, hasListElementNamed, hasToken } from "../ascii";

/**
 * The request asks for a websocket upgrade as Envoy's HCM sees it
 * (source/common/http/utility.cc, Utility::isWebSocketUpgradeRequest): Connection contains the
 * token "upgrade" (Utility::isUpgrade, StringUtil::caseFindToken) and the whole Upgrade value is
 * "websocket", ignoring case (absl::EqualsIgnoreCase). `Upgrade: h2c, websocket` is not one:
 * Envoy does not take it as a websocket, so no filter may count or route it as one.
 * Pass the header values, or null when a header is absent.
 */
export function isWebSocketUpgrade(upgrade: string | null, connection: string | null): bool {
  return upgradeIsWebSocket(upgrade) && connectionHasUpgrade(connection);
}

/** The Upgrade half of isWebSocketUpgrade: the whole value is "websocket", ignoring case. */
export function upgradeIsWebSocket(upgrade: string | null): bool {
  return upgrade !== null && equalsIgnoreCase(upgrade, "websocket");
}

/** The Connection half of isWebSocketUpgrade: the list holds the token "upgrade". */
export function connectionHasUpgrade(connection: string | null): bool {
  return connection !== null && hasToken(connection, "upgrade");
}

/** The server's Sec-WebSocket-Extensions accepts permessage-deflate (RFC 7692 5: an element
 *  named permessage-deflate; its frames then use RSV1). Null when the header is absent. */
export function negotiatesPermessageDeflate(extensions: string | null): bool {
  return extensions !== null && hasListElementNamed(extensions, "permessage-deflate");
}
