import { checkHandshake, Handshake, handshakeReason, UpgradeHeaders } from "../../../filters/ws-router/handshake";
import { hasToken, equalsIgnoreCase } from "../../../sdk/ascii";
import { isWebSocketKey } from "../../../filters/ws-router/ascii";

// The RFC 6455 section 1.3 sample key.
const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

function valid(): UpgradeHeaders {
  const h = new UpgradeHeaders();
  h.method = "GET";
  h.upgrade = "websocket";
  h.connection = "Upgrade";
  h.version = "13";
  h.key = KEY;
  return h;
}

describe("websocket handshake", () => {
  it("accepts GET with Upgrade: websocket, Connection: Upgrade, version 13 and a 16-byte key", () => {
    expect(checkHandshake(valid())).toBe(Handshake.Valid);
  });

  it("treats a request with neither Upgrade nor Sec-WebSocket-Key as not an upgrade", () => {
    const h = new UpgradeHeaders();
    h.method = "GET";
    h.connection = "keep-alive";
    expect(checkHandshake(h)).toBe(Handshake.NotUpgrade);
  });

  it("accepts Upgrade in any letter case, as Envoy's isWebSocketUpgradeRequest does", () => {
    const h = valid();
    h.upgrade = "WebSocket";
    expect(checkHandshake(h)).toBe(Handshake.Valid);
  });

  it("accepts Firefox's Connection: keep-alive, Upgrade", () => {
    const h = valid();
    h.connection = "keep-alive, Upgrade";
    expect(checkHandshake(h)).toBe(Handshake.Valid);
  });

  it("refuses a POST upgrade as a bad method", () => {
    const h = valid();
    h.method = "POST";
    expect(checkHandshake(h)).toBe(Handshake.BadMethod);
    expect(handshakeReason(Handshake.BadMethod)).toBe("bad websocket upgrade: method must be GET\n");
  });

  it("refuses Upgrade: h2c and an Upgrade list that is not exactly websocket", () => {
    const h = valid();
    h.upgrade = "h2c";
    expect(checkHandshake(h)).toBe(Handshake.BadUpgrade);
    h.upgrade = "websocket, h2c";
    expect(checkHandshake(h)).toBe(Handshake.BadUpgrade);
  });

  it("refuses a key without any Upgrade header as a bad upgrade", () => {
    const h = valid();
    h.upgrade = null;
    expect(checkHandshake(h)).toBe(Handshake.BadUpgrade);
  });

  it("refuses a Connection header without the upgrade token, or none at all", () => {
    const h = valid();
    h.connection = "keep-alive, upgraded";
    expect(checkHandshake(h)).toBe(Handshake.BadConnection);
    h.connection = null;
    expect(checkHandshake(h)).toBe(Handshake.BadConnection);
  });

  it("refuses versions other than 13, a missing version and duplicate versions", () => {
    const h = valid();
    h.version = "8";
    expect(checkHandshake(h)).toBe(Handshake.BadVersion);
    h.version = null;
    expect(checkHandshake(h)).toBe(Handshake.BadVersion);
    h.version = "13";
    h.duplicateVersion = true;
    expect(checkHandshake(h)).toBe(Handshake.BadVersion);
  });

  it("refuses a key that is not base64 of exactly 16 bytes", () => {
    const h = valid();
    h.key = "dGhlIHNhbXBsZSBub25jZQ"; // 16 bytes without padding
    expect(checkHandshake(h)).toBe(Handshake.BadKey);
    h.key = "dGhlIHNhbXBsZSBub25jZXg="; // 17 bytes
    expect(checkHandshake(h)).toBe(Handshake.BadKey);
    h.key = null;
    expect(checkHandshake(h)).toBe(Handshake.BadKey);
    h.key = KEY;
    h.duplicateKey = true;
    expect(checkHandshake(h)).toBe(Handshake.BadKey);
  });

  it("checks in RFC order: method before version before key", () => {
    const h = valid();
    h.method = "PUT";
    h.version = "7";
    h.key = "x";
    expect(checkHandshake(h)).toBe(Handshake.BadMethod);
    h.method = "GET";
    expect(checkHandshake(h)).toBe(Handshake.BadVersion);
  });
});

describe("ascii helpers", () => {
  it("finds a token in a comma list ignoring case and surrounding blanks", () => {
    expect(hasToken("Upgrade", "upgrade")).toBe(true);
    expect(hasToken("keep-alive,\tUPGRADE ", "upgrade")).toBe(true);
    expect(hasToken(",,upgrade,", "upgrade")).toBe(true);
    expect(hasToken("upgrade-insecure", "upgrade")).toBe(false);
    expect(hasToken("", "upgrade")).toBe(false);
  });

  it("validates websocket keys by length, alphabet and padding", () => {
    expect(isWebSocketKey(KEY)).toBe(true);
    expect(isWebSocketKey("AAAAAAAAAAAAAAAAAAAAAA==")).toBe(true);
    expect(isWebSocketKey("++++//////++++++++++++==")).toBe(true);
    expect(isWebSocketKey("dGhlIHNhbXBsZSBub25jZQ=A")).toBe(false);
    expect(isWebSocketKey("dGhlIHNhbXBsZSBub25j-Q==")).toBe(false);
    expect(isWebSocketKey(" dGhlIHNhbXBsZSBub25jZQ==")).toBe(false);
  });

  it("compares ASCII case-insensitively without matching different lengths", () => {
    expect(equalsIgnoreCase("WebSocket", "websocket")).toBe(true);
    expect(equalsIgnoreCase("websockets", "websocket")).toBe(false);
  });
});
